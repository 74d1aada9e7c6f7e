export * from './hub-error';
