import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventDetailJsonSchemas, LIFECYCLE_EVENT_TYPES, schemaFileName } from './event-schemas';

/**
 * Writes the JSON Schema of each event detail to `client/schemas/` (`npx tsx client/write-json-schemas.ts`), in
 * Biome's format. A test fails while the committed files differ from what the schemas generate.
 */
const directory = join(import.meta.dirname, 'schemas');
mkdirSync(directory, { recursive: true });
for (const file of readdirSync(directory)) if (file.endsWith('.json')) rmSync(join(directory, file));
const schemas = eventDetailJsonSchemas();
for (const type of LIFECYCLE_EVENT_TYPES) {
  writeFileSync(join(directory, schemaFileName(type)), `${JSON.stringify(schemas[type], null, 2)}\n`);
}
execFileSync(join(import.meta.dirname, '..', 'node_modules', '.bin', 'biome'), ['format', '--write', directory]);
console.log(`wrote ${LIFECYCLE_EVENT_TYPES.length} schemas to ${directory}`);
