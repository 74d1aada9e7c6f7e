export * from './topology';
export type * from './types';
