// The supervisors' page in a real browser: Debian's Chromium, driven by
// playwright-core (pinned in web/package-lock.json), against the real
// daemon and gateway on free loopback ports with a temporary data
// directory. Prints PASS/FAIL per test like the C tests; screenshots go to
// build/test/screenshots/. Usage: node tests/test_web.mjs BUILD
import { createRequire } from 'node:module';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import zlib from 'node:zlib';
import path from 'node:path';

const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const build = process.argv[2] || 'build/test';
const cwd = process.cwd();
const children = [];
let failures = 0;
let passes = 0;

function freePort () {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function check (condition, what) {
  if (!condition) throw new Error('check failed: ' + what);
}

async function run (name, test) {
  try {
    await test();
    passes++;
    console.log('PASS ' + name);
  } catch (error) {
    failures++;
    console.log(error.stack || String(error));
    console.log('FAIL ' + name);
  }
}

// The daemon and two gateways (the second drops every 2nd notice)
const dir = mkdtempSync(path.join(tmpdir(), 'gc-test-web-'));
const ports = { command: await freePort(), events: await freePort(), web: await freePort(), drop: await freePort(), plain: await freePort() };
const config = path.join(dir, 'city.cfg');
writeFileSync(config, `gridcase
    command = "tcp://127.0.0.1:${ports.command}"
    events = "tcp://127.0.0.1:${ports.events}"
    roster = "${cwd}/deploy/sample-roster.cfg"
    city = "${cwd}/deploy/sample-city.cfg"
    grids = "${cwd}/deploy/sample-grids.geojson"
gateway
    web_root = "${cwd}/build/web"
`);

// A city config without the grids' boundaries, for the map's plain layout
const plainConfig = path.join(dir, 'plain.cfg');
writeFileSync(plainConfig, `gridcase
    command = "tcp://127.0.0.1:${ports.command}"
    events = "tcp://127.0.0.1:${ports.events}"
    roster = "${cwd}/deploy/sample-roster.cfg"
    city = "${cwd}/deploy/sample-city.cfg"
gateway
    web_root = "${cwd}/build/web"
`);

function start (binary, args, env) {
  const child = spawn(path.join(build, 'bin', binary), args, {
    env: { ...process.env, ...(env || {}) }, stdio: ['ignore', 'ignore', 'pipe']
  });
  child.stderr.on('data', (data) => process.stderr.write(data));
  children.push(child);
  return child;
}

function cli (actor, ...args) {
  return execFileSync(path.join(build, 'bin', 'gridcase'), ['--as', actor, ...args], {
    env: { ...process.env, GRIDCASE_ENDPOINT: `tcp://127.0.0.1:${ports.command}`, GRIDCASE_STATE_DIR: path.join(dir, 'cli') },
    encoding: 'utf8'
  }).trim();
}

async function until (what, test, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { if (await test()) return; } catch (e) { /* not yet */ }
    await sleep(100);
  }
  throw new Error('timed out waiting for ' + what);
}

const base = `http://127.0.0.1:${ports.web}`;
const dropBase = `http://127.0.0.1:${ports.drop}`;
const plainBase = `http://127.0.0.1:${ports.plain}`;
let browser;

function cleanup () {
  for (const child of children) { try { child.kill('SIGTERM'); } catch (e) { /* gone */ } }
}
process.on('exit', cleanup);

try {
  start('gridcased', ['-c', config, '-d', path.join(dir, 'data')]);
  await until('the daemon', async () => { cli('admin:admin', 'stats'); return true; });
  start('gridcase-gateway', ['-c', config, '--listen', `127.0.0.1:${ports.web}`]);
  start('gridcase-gateway', ['-c', config, '--listen', `127.0.0.1:${ports.drop}`], { GRIDCASE_DROP_NOTICES: '2' });
  start('gridcase-gateway', ['-c', plainConfig, '--listen', `127.0.0.1:${ports.plain}`]);
  await until('the gateways', async () => (await fetch(base + '/login')).ok && (await fetch(dropBase + '/login')).ok);

  // Cases in two communities: one escalated in haihong, one in qianpu
  const haihong = cli('officer:o-haihong-01', 'report', '--grid', 'haihong-01', '--category', 'gas-leak', '--title', 'gas smell, stairwell 3');
  cli('officer:o-haihong-01', 'escalate', haihong, '--reason', 'needs the committee');
  const qianpu = cli('officer:o-qianpu-01', 'report', '--grid', 'qianpu-01', '--category', 'garbage', '--title', 'bins by block 9');
  cli('officer:o-qianpu-01', 'escalate', qianpu, '--reason', 'needs the committee too');
  const xss = cli('officer:o-haihong-02', 'report', '--grid', 'haihong-02', '--category', 'garbage', '--title', '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">');

  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync']
  });

  async function signIn (actor, at = base) {
    const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(at + '/login');
    await page.fill('#actor', actor);
    await page.fill('#password', 'gridcase-demo');
    await Promise.all([page.waitForURL(at + '/'), page.click('button[type=submit]')]);
    await page.waitForSelector('#log-rows');
    return { context, page };
  }

  const rowsOf = (page) => page.$$eval('#log-rows tr', (rows) => rows.map((row) => row.textContent));

  await run('test_sign_in_and_the_log_in_each_scope', async () => {
    const committee = await signIn('c-haihong');
    await until('haihong\'s log', async () => (await rowsOf(committee.page)).some((r) => r.includes(haihong)));
    const seen = await rowsOf(committee.page);
    check(!seen.some((r) => r.includes(qianpu)), 'a committee member sees no other community\'s log');
    const district = await signIn('sup-siming');
    await until('the district\'s log', async () => {
      const rows = await rowsOf(district.page);
      return rows.some((r) => r.includes(haihong)) && rows.some((r) => r.includes(qianpu));
    });
    await committee.context.close();
    await district.context.close();
  });

  await run('test_a_new_escalation_appears_within_two_seconds', async () => {
    const { context, page } = await signIn('sup-siming');
    await page.waitForSelector('.live.on', { timeout: 5000 });
    const id = cli('officer:o-lianhua-01', 'report', '--grid', 'lianhua-01', '--category', 'garbage', '--title', 'live one');
    const started = Date.now();
    cli('officer:o-lianhua-01', 'escalate', id, '--reason', 'watch it arrive');
    await until('the live row', async () => (await rowsOf(page)).some((r) => r.includes(id)), 2000);
    console.log(`live: the escalation of ${id} was on the page ${Date.now() - started} ms after the CLI sent it`);
    await context.close();
  });

  await run('test_a_dropped_notice_is_filled_from_the_journal', async () => {
    const { context, page } = await signIn('sup-siming', dropBase);
    await page.waitForSelector('.live.on', { timeout: 5000 });
    await sleep(300); // the gateway subscribes within 100 ms
    const ids = [];
    for (let i = 0; i < 3; i++) {
      const id = cli('officer:o-jiahe-01', 'report', '--grid', 'jiahe-01', '--category', 'garbage', '--title', 'dropped ' + i);
      cli('officer:o-jiahe-01', 'escalate', id, '--reason', 'one of three');
      ids.push(id);
    }
    // The second notice was dropped; the third's prev_seq shows the gap
    await until('all three rows', async () => {
      const rows = await rowsOf(page);
      return ids.every((id) => rows.some((r) => r.includes(id)));
    }, 5000);
    await context.close();
  });

  await run('test_the_figures_table_matches_the_cli', async () => {
    const { context, page } = await signIn('sup-siming');
    await page.goto(base + '/?view=figures&period=this-month&by=community');
    await page.waitForSelector('#figures-table table tbody tr');
    const rows = await page.$$eval('#figures-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.children).map((td) => td.textContent)));
    const stats = JSON.parse(cli('supervisor:sup-siming', 'stats', '--period', 'this-month', '--by', 'community', '--json'));
    const figures = stats.figures || stats;
    check(rows.length === figures.length, `${rows.length} rows on the page, ${figures.length} from the CLI`);
    figures.forEach((f, i) => {
      check(rows[i][0] === (f.name || f.key), `row ${i} is ${rows[i][0]}, the CLI says ${f.name || f.key}`);
      check(Number(rows[i][1]) === f.received, `row ${i} received ${rows[i][1]} vs ${f.received}`);
      check(Number(rows[i][4]) === f.closed, `row ${i} closed ${rows[i][4]} vs ${f.closed}`);
      check(Number(rows[i][12]) === f.open_now, `row ${i} open ${rows[i][12]} vs ${f.open_now}`);
    });
    // Any table downloads as CSV, with a BOM
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#figures-table button.csv')]);
    const saved = require('node:fs').readFileSync(await download.path());
    check(saved[0] === 0xEF && saved[1] === 0xBB && saved[2] === 0xBF, 'the table\'s CSV starts with a BOM');
    check(saved.toString('utf8').includes(figures[0].name || figures[0].key), 'the table\'s CSV holds its rows');
    await page.waitForSelector('#chart-bars canvas');
    await page.waitForSelector('#chart-daily canvas');
    // The CSV downloads: a BOM, then the columns
    for (const [link, first] of [['#figures-csv', 'key,name,received'], ['#cases-csv', 'id,state,level,severity,category,grid']]) {
      const href = await page.getAttribute(link, 'href');
      const response = await context.request.get(base + href);
      check(response.ok(), link + ' answers');
      const bytes = await response.body();
      check(bytes[0] === 0xEF && bytes[1] === 0xBB && bytes[2] === 0xBF, link + ' starts with a UTF-8 BOM');
      const text = bytes.toString('utf8').slice(1);
      check(text.startsWith(first), link + ' columns: ' + text.slice(0, 80));
      check((response.headers()['content-disposition'] || '').includes('attachment'), link + ' is a download');
      if (link === '#cases-csv') check(text.includes(haihong) && text.includes('created_at'), 'the case list holds the cases and their timestamps');
    }
    await context.close();
  });

  await run('test_a_committee_member_cannot_reach_another_communitys_case', async () => {
    const { context, page } = await signIn('c-haihong');
    const response = await context.request.get(`${base}/api/case/${qianpu}`);
    check(response.status() === 403, 'the API answers 403, not ' + response.status());
    await page.goto(`${base}/cases/${qianpu}`);
    await page.waitForSelector('#case-error');
    check((await page.textContent('#case-error')).includes('Not yours'), 'the page says so');
    // Its own case: the history and the chain
    await page.goto(`${base}/cases/${haihong}`);
    await page.waitForSelector('#chain');
    check((await page.textContent('#chain')).includes('intact'), 'the hash chain is intact');
    check((await page.$$('table.history tbody tr')).length === 2, 'two entries: reported, escalated');
    await context.close();
  });

  await run('test_screenshots_of_every_view_are_not_blank', async () => {
    const { context, page } = await signIn('sup-siming');
    const shots = path.join(build, 'screenshots');
    mkdirSync(shots, { recursive: true });
    const views = [['log', '/?view=log', '#log-rows tr'], ['figures', '/?view=figures', '#chart-daily canvas'],
      ['map', '/?view=map', '#map path.grid'], ['wall', '/?wall=1', '.tiles .tile'],
      ['case', `/cases/${haihong}`, '#chain'], ['overdue', '/?view=overdue', '#overdue table']];
    for (const [name, url, ready] of views) {
      await page.goto(base + url);
      await page.waitForSelector(ready, { timeout: 10000 });
      await sleep(200);
      const png = await page.screenshot({ path: path.join(shots, name + '.png') });
      const colours = distinctPixels(png);
      check(colours > 20, `the ${name} screenshot has ${colours} colours: blank`);
    }
    // On a phone the page still reads
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(base + '/?view=overdue');
    await page.waitForSelector('#overdue table');
    await page.screenshot({ path: path.join(shots, 'phone.png') });
    await context.close();
  });

  await run('test_the_map_draws_each_grid_and_lists_its_cases', async () => {
    const { context, page } = await signIn('c-haihong');
    await page.goto(base + '/?view=map');
    await page.waitForSelector('#map path.grid');
    const grids = await page.$$eval('#map path.grid', (paths) => paths.map((p) => [p.getAttribute('data-grid'), p.getAttribute('class')]));
    check(grids.length === 3 && grids.every((g) => g[0].startsWith('haihong-')), 'haihong\'s three grids: ' + JSON.stringify(grids));
    check(grids.find((g) => g[0] === 'haihong-01')[1].includes('open'), 'haihong-01 has an open case');
    await page.click('#map path[data-grid="haihong-01"]');
    await page.waitForSelector('#grid-cases table');
    check((await page.textContent('#grid-cases')).includes(haihong), 'its case is listed');
    await context.close();
    // A city without boundaries: the grids as tiles, community by community
    const plain = await signIn('sup-siming', plainBase);
    await plain.page.goto(plainBase + '/?view=map');
    await plain.page.waitForSelector('.community button.grid');
    check((await plain.page.$$('.community button.grid')).length === 10, 'ten grids as tiles');
    check((await plain.page.$$('.community')).length === 4, 'in four communities');
    await plain.context.close();
  });

  await run('test_the_page_refuses_what_an_attacker_tries', async () => {
    // Session fixation: a cookie set before sign-in is never the session
    const context = await browser.newContext();
    await context.addCookies([{ name: 'gc_session', value: 'a'.repeat(64), url: base }]);
    const page = await context.newPage();
    await page.goto(base + '/login');
    await page.fill('#actor', 'sup-siming');
    await page.fill('#password', 'gridcase-demo');
    await Promise.all([page.waitForURL(base + '/'), page.click('button[type=submit]')]);
    const cookie = (await context.cookies(base)).find((c) => c.name === 'gc_session');
    check(cookie && cookie.value !== 'a'.repeat(64) && cookie.httpOnly && cookie.sameSite === 'Strict', 'a new HttpOnly, SameSite=Strict session');
    const fixed = await fetch(base + '/api/me', { headers: { cookie: 'gc_session=' + 'a'.repeat(64) } });
    check(fixed.status === 401, 'the fixed token is nothing: ' + fixed.status);
    // CSRF: signing out without the page's token, or from another site
    const jar = { headers: { cookie: 'gc_session=' + cookie.value } };
    let response = await fetch(base + '/logout', { method: 'POST', redirect: 'manual', ...jar, headers: { ...jar.headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=wrong' });
    check(response.status === 403, 'logout without the token: ' + response.status);
    response = await fetch(base + '/login', { method: 'POST', redirect: 'manual', headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'actor=sup-siming&password=gridcase-demo' });
    check(response.status === 403, 'a sign-in posted from another site: ' + response.status);
    check((await fetch(base + '/api/me', jar)).status === 200, 'the session still works');
    // XSS: a title with a script is text on the page
    await page.goto(`${base}/cases/${xss}`);
    await page.waitForSelector('#case-title');
    check((await page.textContent('#case-title')).includes('<script>'), 'the title shows as text');
    check(await page.evaluate(() => window.__xss === undefined), 'no script ran');
    // Path traversal on static files
    for (const attempt of ['/static/../../../../etc/passwd', '/static/..%2f..%2f..%2fetc%2fpasswd',
      '/static/vendor/../../../etc/passwd', '/static//etc/passwd', '/static/%2e%2e/%2e%2e/etc/passwd']) {
      const got = await fetch(base + attempt);
      const text = await got.text();
      check(got.status !== 200 && !text.includes('root:'), attempt + ' answered ' + got.status);
    }
    // The API only reads, and only signed in
    check((await fetch(base + '/api/overdue')).status === 401, 'the API without a session');
    check((await fetch(base + '/api/me', { method: 'POST', ...jar })).status === 405, 'the API refuses a POST');
    // A flood of sign-ins at once: two are checked at a time (each takes
    // 64 MiB), the rest are told to come back, none is answered by a crash
    const flood = await Promise.all(Array.from({ length: 12 }, (_, i) => fetch(base + '/login', {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'actor=nobody-' + i + '&password=wrong'
    })));
    check(flood.every((r) => r.status === 303), 'every sign-in answered');
    check(flood.some((r) => (r.headers.get('location') || '').includes('busy')), 'some told the gateway is busy');
    check((await fetch(base + '/api/me', jar)).status === 200, 'the session still works after the flood');
    // Guessing passwords: the sixth try is locked out
    let last;
    for (let i = 0; i < 6; i++) {
      last = await fetch(base + '/login', { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'actor=sup-lianqian&password=wrong' + i });
    }
    check((last.headers.get('location') || '').includes('locked'), 'locked after five failures: ' + last.headers.get('location'));
    await context.close();
  });
} catch (error) {
  failures++;
  console.log(error.stack || String(error));
  console.log('FAIL test_web (could not start)');
} finally {
  if (browser) await browser.close();
  cleanup();
  await sleep(300);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);

// How many distinct filtered bytes a PNG's pixel data holds: a blank page
// has a handful
function distinctPixels (png) {
  let at = 8;
  const idat = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString('ascii', at + 4, at + 8);
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const seen = new Set();
  for (let i = 0; i < raw.length && seen.size < 256; i += 7) seen.add(raw[i]);
  return seen.size;
}
