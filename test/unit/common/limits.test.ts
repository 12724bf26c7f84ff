/** Agent replies cut at their budget with a marker saying where the whole reply is; gRPC codes read as Temporal faults. */
import { jsonStringBytes } from '../../../common/budgets';
import { BUDGETS, boundAgentReply, checkJsonObject, cutMarker } from '../../../common/limits';
import { temporalFault } from '../../../common/temporal-errors';
import { temporalHttpError } from '../../../api/errors';

const reply = (text: string) => ({
  id: 'zendesk:1',
  source: 'zendesk',
  agent: { name: 'Zoe', email: 'zoe@example.com' },
  text,
  at: '2026-12-02T00:00:00.000Z',
});

describe('boundAgentReply', () => {
  it('keeps a reply within the budget whole', () => {
    expect(boundAgentReply(reply('Thanks!'), 'Zendesk ticket #1')).toEqual({
      reply: reply('Thanks!'),
      cut: false,
      bytes: 7,
    });
  });

  it('cuts a 2 MB reply to the budget, ending with the marker', () => {
    const out = boundAgentReply(reply('漢'.repeat(700_000)), 'Zendesk ticket #123');
    expect(out.cut).toBe(true);
    expect(out.bytes).toBe(2_100_000);
    expect(out.reply.text.endsWith('… [cut: the full reply is in Zendesk ticket #123]')).toBe(true);
    expect(jsonStringBytes(out.reply.text)).toBeLessThanOrEqual(BUDGETS.agentReplyBytes);
    expect(cutMarker('x')).toBe('\n… [cut: the full reply is in x]');
  });

  it('bounds the agent fields and the id too', () => {
    const out = boundAgentReply(
      {
        ...reply('hi'),
        id: `zendesk:${'9'.repeat(5000)}`,
        agent: { name: 'n'.repeat(1e5), avatarUrl: `https://a/${'x'.repeat(5000)}` },
      },
      'there',
    );
    expect(jsonStringBytes(out.reply.id)).toBeLessThanOrEqual(BUDGETS.replyIdBytes);
    expect(jsonStringBytes(out.reply.agent.name)).toBeLessThanOrEqual(BUDGETS.agentFieldBytes);
    expect(out.reply.agent.avatarUrl).toBeUndefined();
  });
});

describe('checkJsonObject', () => {
  it('measures depth without recursion, then bytes', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(checkJsonObject('metadata', deep)).toMatchObject({ unit: 'levels', limit: 16 });
    expect(checkJsonObject('metadata', { a: '\u0001'.repeat(2000) })).toMatchObject({ unit: 'bytes', actual: 12_008 });
    expect(checkJsonObject('metadata', { a: 'fine' })).toBeUndefined();
  });
});

describe('Temporal faults', () => {
  const grpc = (code: number) =>
    Object.assign(new Error('Failed to signal'), {
      cause: Object.assign(new Error(`${code}`), { code, details: 'x' }),
    });
  it('reads UNAVAILABLE and RESOURCE_EXHAUSTED as unavailable (503 + Retry-After), INVALID_ARGUMENT as refused (422)', () => {
    expect([14, 8, 4, 3, 5].map((c) => temporalFault(grpc(c)))).toEqual([
      'unavailable',
      'unavailable',
      'unavailable',
      'refused',
      undefined,
    ]);
    expect(temporalHttpError(grpc(8))).toMatchObject({
      status: 503,
      code: 'temporal_unavailable',
      retryAfterSeconds: 5,
    });
    expect(temporalHttpError(grpc(14))).toMatchObject({ status: 503, retryAfterSeconds: 2 });
    expect(temporalHttpError(grpc(3))).toMatchObject({ status: 422, code: 'temporal_refused' });
    // Node's own errors have string codes: not Temporal's.
    expect(temporalFault(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBeUndefined();
  });
});
