import { createHash } from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import { MeshgateError } from '../../shared/errors';

/** The sha256 hash (hex) Apollo gives a document's exact text: its `queryHash` and APQ's `sha256Hash`. */
export function documentHash(document: string): string {
  return createHash('sha256').update(document).digest('hex');
}

/**
 * Reads a trusted-documents file: a JSON (or YAML) mapping of sha256 hash → document text, the
 * only operations the gateway then runs. Each hash must be the document's own: a wrong one is
 * CONFIG_INVALID naming it, never silently a second way in.
 */
export function loadTrustedDocuments(file: string): Map<string, string> {
  let raw: unknown;
  try {
    raw = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MeshgateError('CONFIG_INVALID', `meshgate.limits.trustedDocuments: cannot read ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new MeshgateError('CONFIG_INVALID', `meshgate.limits.trustedDocuments: ${file} must map each sha256 hash to its document`);
  }
  const documents = new Map<string, string>();
  for (const [hash, document] of Object.entries(raw)) {
    if (typeof document !== 'string' || documentHash(document) !== hash.toLowerCase()) {
      throw new MeshgateError('CONFIG_INVALID', `meshgate.limits.trustedDocuments: in ${file}, ${hash} is not the sha256 hash of its document`);
    }
    documents.set(hash.toLowerCase(), document);
  }
  return documents;
}
