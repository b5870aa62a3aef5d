import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where an image in the cache came from in the main step. */
export type ImageSource = 'entry' | 'pulled' | 'disk' | 'failed';

export interface RecordedImage {
  source: ImageSource;
  /** The entry restored and used. */
  key?: string;
  /** An entry restored and refused: post saves one that supersedes it. */
  badKey?: string;
}

/** What main hands post about each image: kept in a file, so any number of images fits. */
export interface RestoredRecord {
  cache: string;
  images: Record<string, RecordedImage>;
}

export async function writeRecord(file: string, record: RestoredRecord): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, JSON.stringify({ version: 1, ...record }));
}

/** The record main left for `cache`; an empty one when there is none (post then looks every image up). */
export async function readRecord(file: string, cache: string): Promise<RestoredRecord> {
  const empty: RestoredRecord = { cache, images: {} };
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as Partial<RestoredRecord> & { version?: unknown };
    if (doc.version !== 1 || doc.cache !== cache || typeof doc.images !== 'object' || doc.images === null)
      return empty;
    return { cache, images: doc.images };
  } catch {
    return empty;
  }
}
