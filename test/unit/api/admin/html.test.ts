import { html, raw, safeUrl } from '../../../../api/admin/html';
import { renderLayout } from '../../../../api/admin/layout';
import { configLines, extraFacts, messageItem } from '../../../../api/admin/views';

describe('the admin console template', () => {
  it('escapes every interpolated value, in text and in quoted attributes', () => {
    const hostile = `<script>alert(1)</script>" onmouseover="x' &amp;`;
    const out = html`<p title="${hostile}">${hostile}</p>`.html;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39; &amp;amp;">' +
        '&lt;script&gt;alert(1)&lt;/script&gt;&quot; onmouseover=&quot;x&#39; &amp;amp;</p>',
    );
  });

  it('nests templates without escaping twice, joins arrays, and renders nothing for absent values', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    // prettier-ignore
    const out = html`<ul>${items}</ul>${undefined}${null}${false}${0}`.html;
    expect(out).toBe('<ul><li>a&lt;b</li><li>c</li></ul>0');
    expect(html`${raw('<br>')}`.html).toBe('<br>');
  });

  it('keeps only http(s) and own relative URLs in links', () => {
    expect(safeUrl('javascript:alert(1)')).toBe('#');
    expect(safeUrl('//evil.example/x')).toBe('#');
    expect(safeUrl('/admin/apps')).toBe('/admin/apps');
    expect(safeUrl('https://files.example/a?b=1')).toBe('https://files.example/a?b=1');
    expect(safeUrl('data:text/html,<x>')).toBe('#');
  });

  it('escapes what a page shows from config, a conversation or a vendor', () => {
    const page = renderLayout({ title: '<img src=x onerror=alert(1)>', body: html`<p>${'</p><script>'}</p>` });
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt; · Parley');
    const message = messageItem(
      {
        id: 'm',
        role: 'user',
        text: '<b>hi</b>',
        at: '2026-01-01T00:00:00.000Z',
        ...({
          attachments: [{ name: '<x>.png', url: 'javascript:evil()', mediaType: 'image/png', size: 3 }],
        } as object),
      },
      'Jane <Doe>',
    ).html;
    expect(message).toContain('&lt;b&gt;hi&lt;/b&gt;');
    expect(message).toContain('Jane &lt;Doe&gt;');
    expect(message).toContain('href="#"');
    expect(message).toContain('&lt;x&gt;.png</a> (image/png, 3 bytes)');
  });

  it('shows fields of a state it does not know, and never a secret of the configuration', () => {
    const extra = extraFacts({ key: 'zendesk', reason: 'needs <reinstall>', retryAt: 1_800_000_000_000 }, ['key']);
    const text = extra.map((e) => e.html.replace(/>\s+</g, '><')).join('');
    expect(text).toContain('<dt>reason</dt><dd>needs &lt;reinstall&gt;</dd>');
    expect(text).toContain('<dt>retryAt</dt><dd>2027-01-15T08:00:00.000Z</dd>');
    expect(
      configLines(1, 'zendesk', { url: 'https://acme.zendesk.com', apiToken: 'tok_secret', email: 'ops@acme.com' }),
    ).toEqual([
      'apps[1].zendesk.url: https://acme.zendesk.com',
      'apps[1].zendesk.apiToken: (secret, set)',
      'apps[1].zendesk.email: ops@acme.com',
    ]);
  });
});
