/**
 * The cross-process contract (docs/product.md §5): workflow ids, signals, queries, search attributes, message
 * and workflow types, failure types. Imports nothing else of the project (lint-enforced), so the API,
 * adapters like wppconnect/normalize.ts and other TypeScript services depend on it, never on workflow code.
 */
export * from './domain';
export * from './failures';
export * from './ids';
export * from './messages';
export * from './search-attributes';
export * from './signals';
export * from './workflows';
