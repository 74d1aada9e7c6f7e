/** PLACEHOLDER: replaced by the part of issue 12 that owns this function. */
export const handler = async (): Promise<never> => {
  throw new Error('not built yet');
};
