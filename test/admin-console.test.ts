/**
 * The admin console in a real browser (Debian's chromium driven by playwright-core) against a running Parley with
 * the Slack, Zendesk and Help Scout emulators: sign in, integrations and Test connection, the Help Scout mailbox
 * picker, Zendesk's plan then connect, a faulted outbox resumed from its page and delivered, the search (hostile
 * input too), health, sign out; a client key and forged forms refused; axe-core on every page; screenshots of each
 * page in test/artifacts/admin/ (git-ignored).
 */
import fs from 'node:fs';
import path from 'node:path';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { conversationState } from './helpers/agent';
import { apiClient, startTestParley, testAdminKey, testConfig, testKey, type TestParley } from './helpers/parley';
import { freePort } from './helpers/ports';
import { waitFor } from './helpers/wait';
import { startHelpScoutEmulator, type HelpScoutEmulator } from './emulators/helpscout';
import { startSlackEmulator, type SlackEmulator } from './emulators/slack';
import { startZendeskEmulator, type ZendeskEmulator } from './emulators/zendesk';

const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium)
  console.warn(`admin console tests skipped: no chromium at ${CHROMIUM} (apt-get install chromium; .ci/run does)`);
const suite = hasChromium ? describe : describe.skip;

const ARTIFACTS = path.join(__dirname, 'artifacts', 'admin');
const key = testKey('acme');
let slack: SlackEmulator;
let zd: ZendeskEmulator;
let hs: HelpScoutEmulator;
let parley: TestParley;
let api: ReturnType<typeof apiClient>;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const screenshots: string[] = [];
const audits: { page: string; violations: number; serious: string[] }[] = [];

async function shot(name: string, on: Page = page): Promise<void> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await on.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
}

interface AxeResult {
  violations: { id: string; impact?: string | null; nodes: unknown[] }[];
}

/** axe-core on the page as it is; no serious or critical violation may be there. */
async function audit(name: string, on: Page = page): Promise<void> {
  await on.addScriptTag({ content: axe.source });
  // Runs in the page, where axe-core put itself on the global object.
  const result = await on.evaluate(() => (globalThis as unknown as { axe: { run(): Promise<AxeResult> } }).axe.run());
  const serious = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
  audits.push({ page: name, violations: result.violations.length, serious });
  expect({ page: name, serious }).toEqual({ page: name, serious: [] });
}

/** Every page is screenshot and audited as it is reached. */
async function look(name: string, on: Page = page): Promise<void> {
  await shot(name, on);
  await audit(name, on);
}

/** Clicks a form's button and waits for the page its redirect shows (the notice it brings). */
async function submit(button: ReturnType<Page['getByRole']>): Promise<string> {
  await Promise.all([page.waitForURL(() => true, { waitUntil: 'load' }), button.click()]);
  return (await page.locator('.notice').first().textContent())?.trim() ?? '';
}

async function signIn(on: Page, baseUrl: string, secret: string): Promise<void> {
  await on.goto(`${baseUrl}/admin/login`);
  await on.getByLabel('Admin key').fill(secret);
  await Promise.all([
    on.waitForURL(() => true, { waitUntil: 'load' }),
    on.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

/** Zendesk's own API: an account trigger that emails the requester, as an admin made in Zendesk's UI. */
async function addRequesterTrigger(title: string): Promise<void> {
  const auth = Buffer.from(`${zd.email}/token:${zd.apiToken}`).toString('base64');
  const res = await fetch(`${zd.url}/api/v2/triggers`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      trigger: {
        title,
        conditions: { all: [{ field: 'update_type', operator: 'is', value: 'Change' }], any: [] },
        actions: [{ field: 'notification_user', value: ['requester_id', 'Update', '{{ticket.latest_comment}}'] }],
      },
    }),
  });
  expect(res.status).toBe(201);
}

suite('the admin console in a browser', () => {
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    slack = await startSlackEmulator();
    zd = await startZendeskEmulator({ ticketUpdateLimit: { max: 1000, windowMs: 600_000 } });
    hs = await startHelpScoutEmulator({ mailboxes: [{ name: 'Support' }, { name: 'Billing' }] });
    const port = await freePort();
    parley = await startTestParley({
      port,
      config: testConfig({
        server: { publicUrl: `http://127.0.0.1:${port}` },
        apps: [
          {
            id: 'acme',
            name: 'Acme <Support>',
            apiKeys: [key],
            slack: { botToken: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl },
            zendesk: { url: zd.url, email: zd.email, apiToken: zd.apiToken },
            helpscout: { clientId: hs.clientId, clientSecret: hs.clientSecret, mailbox: 'Support', apiUrl: hs.apiUrl },
          },
        ],
      }),
    });
    slack.setParleyUrl(parley.apiUrl);
    api = apiClient(parley.apiUrl, key);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    // The console's CSP forbids inline scripts, axe-core's injection included: the audit bypasses it, pages do not.
    context = await browser.newContext({ bypassCSP: true });
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await parley?.stop();
    await Promise.all([slack?.close(), zd?.close(), hs?.close()]);
    if (screenshots.length > 0) console.log(`admin console screenshots:\n${screenshots.join('\n')}`);
    if (audits.length > 0)
      console.log(
        `axe-core: ${audits.map((a) => `${a.page}: ${a.violations} violation(s), serious/critical: ${a.serious.length === 0 ? 'none' : a.serious.join(', ')}`).join('\n')}`,
      );
  });

  it('refuses a client key, and signs in with an admin key', async () => {
    await page.goto(`${parley.apiUrl}/admin/apps`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await look('sign-in');
    await page.getByLabel('Admin key').fill(key);
    const [refused] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Sign in' }).click(),
    ]);
    expect(refused.status()).toBe(403);
    await page.waitForLoadState();
    expect(await page.getByRole('alert').textContent()).toContain('forbidden_scope');
    await shot('sign-in-client-key-refused');

    await signIn(page, parley.apiUrl, testAdminKey);
    expect(new URL(page.url()).pathname).toBe('/admin/apps');
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'parley_admin');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/' });
    expect(session?.value).not.toContain(testAdminKey);
  });

  it("shows each app's integrations with their state, and Test connection says the result in words", async () => {
    const row = page.getByRole('row', { name: /Acme <Support>/ });
    expect(await row.textContent()).toMatch(/Slack: ok/);
    expect(await row.textContent()).toMatch(/Zendesk: ok/);
    expect(await row.textContent()).toMatch(/Help Scout: ok/);
    await look('apps');
    await page.getByRole('link', { name: 'Acme <Support> (acme)' }).click();
    await page.waitForLoadState();
    for (const name of ['Slack', 'Zendesk', 'Help Scout'])
      expect(await page.getByRole('heading', { name: new RegExp(`^${name}`) }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Reinstall in Slack' }).getAttribute('href')).toBe(
      '/slack/install?app=acme',
    );
    expect(await page.locator('#integration-zendesk pre').textContent()).toContain(
      'apps[0].zendesk.apiToken: (secret, set)',
    );
    expect(await page.content()).not.toContain(zd.apiToken);

    const notice = await submit(page.locator('#integration-slack').getByRole('button', { name: 'Test connection' }));
    expect(notice).toMatch(/^Slack: Connected\. /);
    await look('app');

    hs.failNext('/v2/oauth2/token', { status: 401, body: { error: 'invalid_client' } });
    const refused = await submit(
      page.locator('#integration-helpscout').getByRole('button', { name: 'Test connection' }),
    );
    expect(refused).toBe('Help Scout: Credentials refused. Help Scout refused the app credentials (401)');
    expect(await page.locator('#integration-helpscout').textContent()).toContain('auth failed');
    const again = await submit(page.locator('#integration-helpscout').getByRole('button', { name: 'Test connection' }));
    expect(again).toMatch(/^Help Scout: Connected\. token granted; mailbox \d+ reachable/);
    expect(await page.locator('#integration-helpscout').textContent()).toMatch(/Access token:\s*expires at 20/);
  });

  it('connects Help Scout by picking a mailbox from those the credentials see', async () => {
    await page.getByRole('link', { name: 'Pick the mailbox and connect' }).click();
    await page.waitForLoadState();
    const radios = page.getByRole('radio');
    expect(await radios.count()).toBe(2);
    await look('helpscout-mailboxes');

    // Another mailbox than the configured one: refused, with the line to change.
    await page.getByRole('radio', { name: /^Billing/ }).check();
    const refused = await submit(page.getByRole('button', { name: 'Connect' }));
    expect(refused).toMatch(/Not connected: .* change apps\[0\]\.helpscout\.mailbox to \d+ in /);
    expect(hs.webhooks()).toHaveLength(0);

    await page.getByRole('radio', { name: /^Support/ }).check();
    const done = await submit(page.getByRole('button', { name: 'Connect' }));
    const support = hs.mailboxes().find((m) => m.name === 'Support')!;
    expect(done).toMatch(
      new RegExp(`^Help Scout connected: webhook \\d+ created on mailbox "Support" \\(${support.id}\\)`),
    );
    const hooks = hs.webhooks();
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      url: `${parley.config.server.publicUrl}/helpscout/webhook/acme`,
      mailboxIds: [support.id],
    });
  });

  it('shows first which Zendesk triggers get the parley condition, then connects', async () => {
    await addRequesterTrigger('Tell the requester <at once>');
    await page.goto(`${parley.apiUrl}/admin/apps/acme/zendesk`);
    const connect = page.getByRole('region', { name: 'Connect: what it changes in Zendesk' });
    expect(await connect.textContent()).toContain('Tell the requester <at once>');
    expect(await connect.textContent()).toContain('repaired (it exists)');
    await look('zendesk-plan');
    expect(zd.triggers().find((t) => t.title === 'Tell the requester <at once>')?.conditions.all).toHaveLength(1);
    const notice = await submit(connect.getByRole('button', { name: 'Connect Zendesk' }));
    expect(notice).toContain('"tags not include parley" added to: Tell the requester <at once>.');
    expect(zd.triggers().find((t) => t.title === 'Tell the requester <at once>')?.conditions.all).toContainEqual({
      field: 'current_tags',
      operator: 'not_includes',
      value: 'parley',
    });
  });

  it('shows a deleted ticket as the reason an outbox is paused', async () => {
    expect((await api('POST', '/v1/apps/acme/users/del/messages', { text: 'd1' })).status).toBe(202);
    const ticket = Number(
      await waitFor(async () => (await conversationState(parley.client, 'acme', 'del')).refs.zendeskTicketId, {
        what: 'the ticket',
      }),
    );
    zd.deleteTicket(ticket);
    await api('POST', '/v1/apps/acme/users/del/messages', { text: 'd2' });
    await waitFor(
      async () => (await conversationState(parley.client, 'acme', 'del')).outboxes.zendesk?.status === 'faulted',
      {
        what: 'the zendesk outbox paused',
      },
    );
    await page.goto(`${parley.apiUrl}/admin/conversations/acme/del`);
    const box = page.getByRole('region', { name: /^zendesk/ });
    expect(await box.textContent()).toMatch(/Paused because\s*zendesk_ticket_deleted: .*was the ticket deleted\?/);
    expect(await box.textContent()).toMatch(/Backlog\s*1 waiting/);
    expect(await box.getByRole('button', { name: 'Resume zendesk' }).count()).toBe(1);
  });

  it('finds a conversation by search, resumes its faulted outbox, and the message is delivered', async () => {
    // A revoked Zendesk token pauses the outbox; the operator fixes it, then resumes from the page.
    zd.failNext('/api/v2/users/create_or_update', { status: 401, body: { error: "Couldn't authenticate you" } });
    await api('POST', '/v1/apps/acme/users/tok/messages', { text: 'after the token is fixed' });
    await api('PUT', '/v1/apps/acme/users/tok', { givenName: 'Tia', surname: '<Tok>' });
    await waitFor(
      async () => (await conversationState(parley.client, 'acme', 'tok')).outboxes.zendesk?.status === 'faulted',
      {
        what: 'the zendesk outbox paused',
      },
    );

    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.waitForLoadState();
    await page.getByLabel('User id').fill('tok');
    await page.getByLabel('Status').selectOption('active');
    await Promise.all([page.waitForURL(/user=tok/), page.getByRole('button', { name: 'Search' }).click()]);
    expect((await page.getByRole('status').textContent())?.trim()).toBe('1 conversation found.');
    await look('conversations-search');
    await page.getByRole('link', { name: /\(tok\)$/ }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Conversation with Tia <Tok>');
    // Who is in control and who handles it, beside the status.
    expect(await page.locator('body').textContent()).toMatch(/In control\s*the team/);
    expect(await page.locator('body').textContent()).toMatch(/Assignment\s*nobody yet/);
    const box = page.getByRole('region', { name: /^zendesk/ });
    expect(await box.textContent()).toMatch(/Paused because\s*zendesk_auth_failed/);
    expect(await page.getByRole('link', { name: 'History in the Temporal UI' }).getAttribute('href')).toBe(
      'http://localhost:8233/namespaces/default/workflows/conversation%3Aacme%3Atok',
    );
    expect(await page.locator('.message .text').allTextContents()).toEqual(['after the token is fixed']);
    await look('conversation-paused');

    const notice = await submit(box.getByRole('button', { name: 'Resume zendesk' }));
    expect(notice).toBe('Resume sent to the zendesk outbox: it tries again now.');
    await waitFor(
      () => zd.tickets().some((t) => t.comments.some((c) => c.public && c.body === 'after the token is fixed')),
      { what: 'the comment in Zendesk' },
    );
    await waitFor(
      async () => {
        await page.reload();
        return /Delivered\s*1/.test((await page.getByRole('region', { name: /^zendesk/ }).textContent()) ?? '');
      },
      { what: 'the page showing it delivered', intervalMs: 300 },
    );
    expect(await page.getByRole('button', { name: /^Resume/ }).count()).toBe(0);
    await look('conversation-resumed');
  });

  it('searches hostile input as a literal value', async () => {
    for (const hostile of ['x" OR ParleyApp != "', 'tok\\', "' OR 1=1 --"]) {
      const res = await page.goto(`${parley.apiUrl}/admin/conversations?user=${encodeURIComponent(hostile)}`);
      expect(res?.status()).toBeLessThan(500);
      expect(await page.locator('main').textContent()).not.toContain('(tok)');
      const shown = await page.getByLabel('User id').inputValue();
      expect(shown).toBe(hostile);
      // Temporal parsed the escaped literal (no refused query) and matched no user of that name.
      expect({ hostile, said: (await page.getByRole('status').textContent())?.trim() }).toEqual({
        hostile,
        said: 'No conversation matches.',
      });
    }
  });

  it('refuses an action without the session’s CSRF token, or with another', async () => {
    const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const post = (body: string) =>
      fetch(`${parley.apiUrl}/admin/conversations/acme/tok/archive`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
    for (const body of ['', 'csrf=', `csrf=${'A'.repeat(43)}`]) {
      const res = await post(body);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('csrf_failed');
    }
    const foreign = await fetch(`${parley.apiUrl}/admin/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(foreign.status).toBe(403);
    const loginForged = await fetch(`${parley.apiUrl}/admin/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `key=${encodeURIComponent(testAdminKey)}`,
    });
    expect(loginForged.status).toBe(403);
    expect(loginForged.headers.get('set-cookie') ?? '').not.toMatch(/parley_admin=[A-Za-z0-9_-]{43}/);
    expect((await conversationState(parley.client, 'acme', 'tok')).status).toBe('active');
  });

  it('shows health at a glance: relayed and failed in the last hour, paused outboxes', async () => {
    await page.goto(`${parley.apiUrl}/admin/health`);
    const zendeskRow = page.getByRole('row', { name: /^zendesk/ });
    const cells = await zendeskRow.locator('td').allTextContents();
    expect(Number(cells[0])).toBeGreaterThanOrEqual(2); // relayed: d1 and the resumed message
    expect(Number(cells[1])).toBeGreaterThanOrEqual(2); // failed sends: the deleted ticket, the refused token
    expect(Number(cells[2])).toBe(1); // paused: the deleted ticket's outbox
    expect(await page.locator('main').textContent()).toMatch(
      /acme \/ del\s*zendesk\s*faulted\s*zendesk_ticket_deleted/,
    );
    await look('health');
  });

  it('removes Zendesk and Help Scout, Zendesk after showing what it undoes', async () => {
    await page.goto(`${parley.apiUrl}/admin/apps/acme/zendesk`);
    const removal = page.getByRole('region', { name: 'Remove: what it undoes' });
    expect(await removal.textContent()).toContain('Tell the requester <at once>');
    await look('zendesk-remove-plan');
    const notice = await submit(removal.getByRole('button', { name: 'Remove Zendesk' }));
    expect(notice).toMatch(/^Zendesk removed: trigger and webhook deleted; restored .*Tell the requester <at once>/);
    expect(zd.webhooks()).toEqual([]);
    expect(zd.triggers().find((t) => t.title === 'Tell the requester <at once>')?.conditions.all).toHaveLength(1);

    const removed = await submit(page.getByRole('button', { name: 'Remove Help Scout webhook' }));
    expect(removed).toBe(
      'Help Scout: 1 Parley webhook(s) removed. Agent replies no longer reach Parley until you connect again.',
    );
    expect(hs.webhooks()).toEqual([]);
  });

  it('is usable on a phone', async () => {
    const phone = await browser.newContext({ bypassCSP: true, viewport: { width: 375, height: 740 }, isMobile: true });
    const small = await phone.newPage();
    await signIn(small, parley.apiUrl, testAdminKey);
    await small.goto(`${parley.apiUrl}/admin/conversations/acme/del`);
    const width = await small.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document.documentElement
          .scrollWidth,
    );
    expect(width).toBeLessThanOrEqual(375);
    await look('conversation-phone', small);
    await phone.close();
  });

  it('signs out: the session ends and the pages ask to sign in again', async () => {
    await page.goto(`${parley.apiUrl}/admin/apps`);
    await Promise.all([page.waitForURL(/\/admin\/login$/), page.getByRole('button', { name: 'Sign out' }).click()]);
    await page.goto(`${parley.apiUrl}/admin/health`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
  });

  it('warns with a banner when no worker polls', async () => {
    const apiOnly = await startTestParley({ config: parley.config, worker: false, taskQueue: `nobody-${Date.now()}` });
    try {
      const other = await context.newPage();
      await signIn(other, apiOnly.apiUrl, testAdminKey);
      expect(await other.locator('.banner').textContent()).toMatch(/No worker is polling: no worker polls nobody-/);
      await look('banner-no-worker', other);
      await other.close();
    } finally {
      await apiOnly.stop();
    }
  });
});
