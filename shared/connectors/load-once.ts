/**
 * A module loaded on first use and kept for the process, so a bundle that never calls it does not
 * evaluate it at init (a provider's SDK, for a function that only verifies webhooks). A failed load
 * is not kept: the next call tries again.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    if (!loaded) {
      loaded = load();
      loaded.catch(() => {
        loaded = undefined;
      });
    }
    return loaded;
  };
}
