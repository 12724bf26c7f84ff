/** The codec's sign-in sessions: random ids, not the token; expiring; at most CODEC_SESSIONS_MAX kept. */
import { CODEC_SESSION_MS, createCodecSessions } from '../../../api/codec';

describe('codec sessions', () => {
  it('opens random ids that expire after CODEC_SESSION_MS', () => {
    let now = 0;
    const sessions = createCodecSessions(() => now);
    const a = sessions.open();
    const b = sessions.open();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a).not.toBe(b);
    expect(sessions.valid(a)).toBe(true);
    expect(sessions.valid(undefined)).toBe(false);
    expect(sessions.valid(`${a}x`)).toBe(false);
    expect(sessions.valid('A'.repeat(43))).toBe(false);
    now = CODEC_SESSION_MS - 1;
    expect(sessions.valid(b)).toBe(true);
    now = CODEC_SESSION_MS;
    expect(sessions.valid(a)).toBe(false);
    expect(sessions.valid(b)).toBe(false);
    expect(sessions.size()).toBe(0);
  });

  it('keeps at most its bound: a flood of sign-ins drops the oldest, not memory', () => {
    const sessions = createCodecSessions(() => 0, 3);
    const ids = Array.from({ length: 5 }, () => sessions.open());
    expect(sessions.size()).toBe(3);
    expect(ids.map((id) => sessions.valid(id))).toEqual([false, false, true, true, true]);
  });

  it('drops expired sessions when a new one opens', () => {
    let now = 0;
    const sessions = createCodecSessions(() => now, 10);
    sessions.open();
    sessions.open();
    now = CODEC_SESSION_MS;
    sessions.open();
    expect(sessions.size()).toBe(1);
  });
});
