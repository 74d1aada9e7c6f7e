export * from './topology';
export type * from './types';
export * from './access';
