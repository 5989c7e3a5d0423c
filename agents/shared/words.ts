/** A table's row noun: `companies` → `company`, `boxes` → `box`. */
export const singular = (table: string) => table.replace(/ies$/, 'y').replace(/(ch|sh|x|s)es$/, '$1').replace(/s$/, '');
