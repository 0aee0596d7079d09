/**
 * A scripted browser without a browser: fetch with a cookie jar, manual redirects, and the forms of
 * Foyer's own pages read from their HTML. Fast enough for the many refusal cases; the happy paths also
 * run in Chromium (see chromium.ts).
 */
import { CookieJar } from 'tough-cookie';

export interface PageResponse {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

export interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
}

const decode = (s: string) =>
  s
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

export class HttpBrowser {
  readonly jar = new CookieJar();
  /** Accept-Language sent with every request. */
  language = 'en-US';

  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<PageResponse> {
    const headers: Record<string, string> = { accept: 'text/html', 'accept-language': this.language, ...init.headers };
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) await this.jar.setCookie(c, url, { ignoreError: true });
    return { status: res.status, url, headers: res.headers, body: await res.text() };
  }

  /** GET (or POST) and follow redirects until a page answers or a URL matches `stopAt`. */
  async go(url: string, init: { method?: string; form?: Record<string, string> } = {}, stopAt?: (url: string) => boolean): Promise<PageResponse> {
    let res = await this.request(url, init);
    for (let hops = 0; hops < 20 && res.status >= 300 && res.status < 400; hops++) {
      const next = new URL(res.headers.get('location')!, res.url).toString();
      if (stopAt?.(next)) return { ...res, url: next };
      res = await this.request(next);
    }
    return res;
  }

  /** Submits the form of the page whose submit button is named `button`. */
  press(page: PageResponse, button: string, values: Record<string, string> = {}, stopAt?: (url: string) => boolean): Promise<PageResponse> {
    return this.submit(page, formWithButton(page, button), values, stopAt);
  }

  /** Submits a form of the page, with `values` over its own fields. */
  submit(page: PageResponse, formIndex: number, values: Record<string, string>, stopAt?: (url: string) => boolean): Promise<PageResponse> {
    const form = forms(page)[formIndex];
    if (!form) throw new Error(`no form #${formIndex} on ${page.url}:\n${page.body}`);
    return this.go(new URL(form.action, page.url).toString(), { method: form.method.toUpperCase(), form: { ...form.fields, ...values } }, stopAt);
  }
}

export function forms(page: PageResponse): Form[] {
  const out: Form[] = [];
  for (const m of page.body.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)) {
    const attrs = m[1]!;
    const action = decode(/action="([^"]*)"/.exec(attrs)?.[1] ?? page.url);
    const method = /method="([^"]*)"/.exec(attrs)?.[1] ?? 'get';
    const fields: Record<string, string> = {};
    for (const input of m[2]!.matchAll(/<input([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
      if (name) fields[name] = decode(/value="([^"]*)"/.exec(input[1]!)?.[1] ?? '');
    }
    out.push({ action, method, fields });
  }
  return out;
}

/** The index of the form that has a field named `name`. */
export function formWith(page: PageResponse, name: string): number {
  const i = forms(page).findIndex((f) => name in f.fields);
  if (i < 0) throw new Error(`no form with field ${name} on ${page.url}:\n${page.body.slice(0, 3000)}`);
  return i;
}

/** The index of the form whose button is named `name` (the text a person reads on it). */
export function formWithButton(page: PageResponse, name: string): number {
  const all = [...page.body.matchAll(/<form[^>]*>([\s\S]*?)<\/form>/g)];
  const i = all.findIndex((m) => [...m[1]!.matchAll(/<button[^>]*>([\s\S]*?)<\/button>/g)].some((b) => decode(b[1]!.trim()) === name));
  if (i < 0) throw new Error(`no "${name}" button on ${page.url} (${page.status}):\n${visibleText(page).slice(0, 2000)}`);
  return i;
}

/** Visible text of the page (tags removed), for assertions on what a person reads. */
export function visibleText(page: PageResponse): string {
  return decode(page.body.replace(/<style[\s\S]*?<\/style>/g, '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}
