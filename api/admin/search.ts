/**
 * The conversations search: a form's fields as a Temporal visibility query over Parley's search attributes. Every
 * value is hostile: it is quoted as a string literal with `\` and `"` escaped (Temporal's query parser reads SQL
 * string literals with backslash escapes), control characters refused, and each value bounded; the attribute names
 * come from this file only.
 */
import { CONVERSATION_WORKFLOW_TYPE } from '../../workflows/definitions';

/** Form field → search attribute; every one a Keyword (ParleyIntegrations a KeywordList). */
export const SEARCH_FIELDS = [
  { field: 'user', attribute: 'ParleyUser', label: 'User id' },
  { field: 'status', attribute: 'ParleyStatus', label: 'Status' },
  { field: 'integration', attribute: 'ParleyIntegrations', label: 'Integration' },
  { field: 'slackChannel', attribute: 'SlackChannel', label: 'Slack channel id' },
  { field: 'zendeskTicket', attribute: 'ZendeskTicket', label: 'Zendesk ticket' },
  { field: 'helpscoutConversation', attribute: 'HelpScoutConversation', label: 'Help Scout conversation' },
  { field: 'assignee', attribute: 'ParleyAssignee', label: 'Assignee' },
] as const;

export type SearchField = (typeof SEARCH_FIELDS)[number]['field'];
export type SearchInput = Partial<Record<SearchField | 'app', string>>;

export const MAX_VALUE_LENGTH = 200;

export class SearchInputError extends Error {}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A string literal for a visibility query: `"…"` with backslashes and double quotes escaped. */
export function quoteQueryValue(value: string): string {
  if (value.length > MAX_VALUE_LENGTH) throw new SearchInputError(`at most ${MAX_VALUE_LENGTH} characters`);
  if (CONTROL.test(value)) throw new SearchInputError('control characters are not searchable');
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * The visibility query of a search: conversations only (never inbox watchers or installations), of the given app,
 * running, each filled field as `Attribute = "value"`. Blank fields are left out.
 */
export function buildConversationQuery(input: SearchInput, appIds: readonly string[]): string {
  const parts = [`WorkflowType = ${quoteQueryValue(CONVERSATION_WORKFLOW_TYPE)}`, 'ExecutionStatus = "Running"'];
  const app = input.app?.trim();
  if (app) {
    if (!appIds.includes(app)) throw new SearchInputError(`no app "${app}"`);
    parts.push(`ParleyApp = ${quoteQueryValue(app)}`);
  } else {
    parts.push(`ParleyApp IN (${appIds.map(quoteQueryValue).join(', ')})`);
  }
  for (const { field, attribute } of SEARCH_FIELDS) {
    const value = input[field]?.trim();
    if (!value) continue;
    try {
      parts.push(`${attribute} = ${quoteQueryValue(value)}`);
    } catch (err) {
      throw new SearchInputError(`${field}: ${(err as Error).message}`);
    }
  }
  return parts.join(' AND ');
}
