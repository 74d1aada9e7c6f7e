export * from './access';
export * from './topology';
export type * from './types';
