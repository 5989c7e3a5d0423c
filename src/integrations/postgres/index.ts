// The database layer: one small interface (Pg) over PGlite and node-postgres, the Supabase platform
// shims for PGlite, and the cached template shadow databases start from. Importing this module
// loads neither engine; they are imported only when a database is opened.
export type { DbKind, Pg, PgErrorInfo, Queryable, QueryResult } from './types.js';
export { pgErrorInfo } from './types.js';
export { SUPABASE_SHIMS, SHIMS_MARKER, SHIMS_VERSION, SHIM_EXTENSIONS } from './supabase-shims.js';
export { extensionsIn, PGLITE_EXTENSIONS } from './extensions.js';
export { openDatabase, projectExtensions, PGDATA_DIR, CACHE_DIR, type OpenDatabaseOptions } from './open.js';
export { copyTemplate, ensureTemplate, ensureTemplateImage, openShadowDatabase, templateDirName, templateImagePath, type ShadowOptions, type TemplateImage, type TemplateInfo } from './template.js';
