import type { ConnectionLike } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Logger } from '../common/logger';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

const TYPES = {
  Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

export async function missingSearchAttributes(connection: ConnectionLike, namespace: string): Promise<string[]> {
  const { customAttributes: keys } = await connection.operatorService.listSearchAttributes({ namespace });
  return Object.keys(SEARCH_ATTRIBUTES).filter((name) => keys?.[name] === undefined);
}

/**
 * Makes sure Parley's search attributes exist: registers the missing ones, or fails with the command an
 * operator runs when Parley may not (Temporal Cloud, restricted permissions).
 */
export async function ensureSearchAttributes(
  connection: ConnectionLike,
  namespace: string,
  log: Logger,
): Promise<void> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length === 0) return;
  const searchAttributes = Object.fromEntries(
    missing.map((name) => [name, TYPES[SEARCH_ATTRIBUTES[name] ?? 'Keyword']]),
  );
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    log.info({ registered: missing, namespace }, 'registered Parley search attributes');
  } catch (err) {
    const commands = missing
      .map(
        (name) =>
          `temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${SEARCH_ATTRIBUTES[name]}`,
      )
      .join('\n  ');
    throw new Error(
      `Temporal namespace "${namespace}" lacks Parley's search attributes ${missing.join(', ')} and Parley could not register them (${(err as Error).message}). Register them, then start again:\n  ${commands}`,
      { cause: err },
    );
  }
  // Registration is eventually visible; wait briefly so the first workflow can use them.
  const deadline = Date.now() + 15_000;
  while ((await missingSearchAttributes(connection, namespace)).length > 0) {
    if (Date.now() > deadline) throw new Error(`search attributes registered in "${namespace}" but not yet visible`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
