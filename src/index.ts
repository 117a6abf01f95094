// Public library entry point. Modules export their own API; this file re-exports the stable parts.
export * from './errors.js';
