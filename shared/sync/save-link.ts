import { DependencyUnavailableError } from '../errors';
import type { Link } from './link';
import type { SyncStore } from './ports';

/** Tries a link change a few times against concurrent writers before giving the work back to the queue. */
const SAVE_ATTEMPTS = 5;

/**
 * Applies `change` to the link and saves it under its revision; after a concurrent change it
 * re-reads the link and applies `change` again, so changes to one link apply one after the other.
 */
export async function saveLinkChange(
  store: Pick<SyncStore, 'saveLink' | 'getLink'>,
  link: Link,
  change: (l: Link) => Link,
): Promise<Link> {
  let current = link;
  for (let attempt = 0; attempt < SAVE_ATTEMPTS; attempt += 1) {
    const next = { ...change(current), revision: current.revision + 1 };
    if (await store.saveLink(next, current.revision)) return next;
    const fresh = await store.getLink(current.orgId, current.id);
    if (!fresh) return current;
    current = fresh;
  }
  throw new DependencyUnavailableError(`Link ${link.id} is changing too fast; retrying`);
}
