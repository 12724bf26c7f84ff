import { buildConversationQuery, quoteQueryValue, SearchInputError } from '../../../../api/admin/search';

describe('the conversations search query', () => {
  it('quotes values with backslashes and double quotes escaped', () => {
    expect(quoteQueryValue('plain')).toBe('"plain"');
    expect(quoteQueryValue('a" OR ParleyApp != "x')).toBe('"a\\" OR ParleyApp != \\"x"');
    expect(quoteQueryValue('back\\"slash')).toBe('"back\\\\\\"slash"');
    expect(quoteQueryValue("it's")).toBe('"it\'s"');
  });

  it('refuses control characters and overlong values', () => {
    expect(() => quoteQueryValue('a\nb')).toThrow(SearchInputError);
    expect(() => quoteQueryValue('a\u0000')).toThrow(SearchInputError);
    expect(() => quoteQueryValue('x'.repeat(201))).toThrow(SearchInputError);
  });

  it('searches running conversations of the configured apps, by each filled field', () => {
    expect(buildConversationQuery({}, ['acme', 'beta'])).toBe(
      'WorkflowType = "conversation" AND ExecutionStatus = "Running" AND ParleyApp IN ("acme", "beta")',
    );
    expect(
      buildConversationQuery(
        { app: 'acme', user: ' jane ', status: 'active', zendeskTicket: '42', assignee: '', slackChannel: 'C1' },
        ['acme'],
      ),
    ).toBe(
      'WorkflowType = "conversation" AND ExecutionStatus = "Running" AND ParleyApp = "acme" AND ParleyUser = "jane" AND ' +
        'ParleyStatus = "active" AND SlackChannel = "C1" AND ZendeskTicket = "42"',
    );
    expect(() => buildConversationQuery({ app: 'other' }, ['acme'])).toThrow('no app "other"');
    expect(() => buildConversationQuery({ user: 'x\r\ny' }, ['acme'])).toThrow(SearchInputError);
  });
});
