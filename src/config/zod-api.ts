// The part of zod/mini that command and config schemas are written in. Loaded lazily through
// zod-mini.ts; named re-exports (not the namespace) keep the chunk to what is used: `import('zod/mini')`
// as a whole is ~540 KB with every locale, this is ~35 KB.
export { array, boolean, enum, int, literal, maximum, maxLength, minimum, minLength, number, object, optional, regex, strictObject, string, union } from 'zod/mini';
