import path from "node:path";
import { mkdirSync } from "node:fs";
import type { Database } from "./database";
import { openPgliteDatabase } from "./pglite-database";
import { openPostgresDatabase } from "./postgres-database";
import { migrate } from "./migrations";

/** Where the host's data lives. */
export interface DatabaseConfig {
  /** postgres://... ; when absent, embedded PGlite is used. */
  databaseUrl?: string;
  /** PostgreSQL schema to use (created if missing); tests use one per run. */
  databaseSchema?: string;
  /** PGlite data directory, or "memory://". */
  pgliteDir?: string;
}

/**
 * Opens the configured database and migrates it to the latest schema.
 *
 * @example
 * const db = await openDatabase({ pgliteDir: "./.arbor/db" });
 * const db2 = await openDatabase({ databaseUrl: process.env.DATABASE_URL });
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  let db: Database;
  if (config.databaseUrl) {
    db = await openPostgresDatabase(config.databaseUrl, config.databaseSchema);
  } else {
    const dir = config.pgliteDir ?? path.join(process.cwd(), ".arbor", "db");
    if (dir !== "memory://") mkdirSync(dir, { recursive: true });
    db = await openPgliteDatabase(dir);
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
