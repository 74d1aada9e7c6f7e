/** Reading untyped JSON (provider payloads) without trusting its shape. */
export type Json = Record<string, unknown>;
export const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
export const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
export const num = (value: unknown): number | null => (typeof value === 'number' ? value : null);
