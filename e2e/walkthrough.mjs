// One application's whole life in a real browser (headless Chromium), with axe-core run on
// every page it shows: the applicant applies with two PDFs, the worker drafts, an expert claims,
// edits and approves, the official signs, the applicant sees the decision and downloads it.
//
// Driven by tests/browser_e2e.rs, which starts `atzinums demo` and passes one JSON argument:
//   { base, chromium, out, applicant, expert, second_expert, official, quality,
//     documents: [{ path, kind }], draft_timeout_ms, expert_note,
//     expert_decides: { outcome, term, cause } }
// Writes screenshots and report.json (pages with their axe violations, the case id, the PDF)
// under `out`; the Rust test judges the report. Exits non-zero only when the walk itself fails.

import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const cfg = JSON.parse(process.argv[2]);
mkdirSync(cfg.out, { recursive: true });

const report = { pages: [], case_id: null, decision_pdf: null, steps: [] };
const step = (what) => {
  report.steps.push(what);
  console.log(`walkthrough: ${what}`);
};

// WCAG 2.1 A and AA rules (and axe's best practices, reported but judged like the rest).
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** Screenshot the page and run axe-core on it; every page the walk shows goes through here. */
async function examine(page, name, response) {
  const shot = `${String(report.pages.length + 1).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: join(cfg.out, shot), fullPage: true });
  await page.evaluate(axeSource);
  const result = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    AXE_TAGS,
  );
  report.pages.push({
    name,
    url: new URL(page.url()).pathname,
    status: response ? response.status() : null,
    lang: await page.getAttribute('html', 'lang'),
    screenshot: shot,
    passes: result.passes.length,
    violations: result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.map((n) => n.target.join(' ')),
    })),
  });
}

/** Submits the form that `button` belongs to and waits for the page it leads to. */
async function submitWith(page, button) {
  const [response] = await Promise.all([page.waitForNavigation(), button.click()]);
  return response;
}

async function signIn(context, personCode, role) {
  const page = await context.newPage();
  await page.goto(`${cfg.base}/`);
  await page.fill('#person_code', personCode);
  await page.selectOption('#role', role);
  const response = await submitWith(page, page.locator('main button[type=submit]'));
  if (!response || response.status() !== 200) {
    throw new Error(`signing in as ${role} answered ${response && response.status()}`);
  }
  return { page, response };
}

/** Files an application for someone else (a representative's or clerk's form) with the first
 * document; returns the response of the new case's page. */
async function fileFor(page, personCode, fields) {
  await page.fill('#person_code', personCode);
  await page.selectOption('#region', fields.region);
  await page.selectOption('#sex', fields.sex ?? 'M');
  if (fields.rep_role) await page.selectOption('#rep_role', fields.rep_role);
  if (fields.rep_name) await page.fill('#rep_name', fields.rep_name);
  await page.selectOption('#doc_kind_0', cfg.documents[0].kind);
  await page.setInputFiles('#file_0', cfg.documents[0].path);
  const response = await submitWith(
    page,
    page.locator('form[enctype="multipart/form-data"] button[type=submit]'),
  );
  if (response.status() !== 200 || !/\/e-pakalpojums\/lietas\/C-/.test(page.url())) {
    throw new Error(`filing for someone else answered ${response.status()} at ${page.url()}`);
  }
  return response;
}

const browser = await chromium.launch({
  executablePath: cfg.chromium,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
// bypassCSP: the pages forbid inline scripts, and axe is injected as one.
const newContext = () => browser.newContext({ acceptDownloads: true, bypassCSP: true });

try {
  // The sign-in page, in both languages, before anyone signs in.
  {
    const context = await newContext();
    const page = await context.newPage();
    await examine(page, 'sign-in', await page.goto(`${cfg.base}/`));
    await examine(page, 'sign-in-en', await page.goto(`${cfg.base}/?lang=en`));
    await context.close();
  }

  step('the applicant applies with two PDFs');
  const applicantContext = await newContext();
  const applicant = await signIn(applicantContext, cfg.applicant, 'applicant');
  let page = applicant.page;
  await examine(page, 'applicant-start', applicant.response);
  await page.selectOption('#kind', 'disability_first');
  await page.selectOption('#region', 'Latgale');
  await page.selectOption('#sex', 'F');
  for (const [i, doc] of cfg.documents.entries()) {
    await page.selectOption(`#doc_kind_${i}`, doc.kind);
    await page.setInputFiles(`#file_${i}`, doc.path);
  }
  let response = await submitWith(
    page,
    page.locator('form[enctype="multipart/form-data"] button[type=submit]'),
  );
  const filed = new URL(page.url()).pathname.match(/^\/e-pakalpojums\/lietas\/([^/]+)$/);
  if (!filed) throw new Error(`after applying the browser is on ${page.url()}`);
  report.case_id = decodeURIComponent(filed[1]);
  await examine(page, 'applicant-case-filed', response);

  step('the worker drafts the case into an expert queue');
  const expertContext = await newContext();
  const expert = await signIn(expertContext, cfg.expert, 'expert');
  page = expert.page;
  const deadline = Date.now() + cfg.draft_timeout_ms;
  response = expert.response;
  while (!(await page.locator('main td', { hasText: report.case_id }).count())) {
    if (Date.now() > deadline) throw new Error('the case never reached an expert queue');
    await page.waitForTimeout(1000);
    response = await page.reload();
  }
  await examine(page, 'expert-queues', response);

  step('the expert claims it, edits the draft and approves');
  const queue = page.locator('main section', { hasText: report.case_id });
  response = await submitWith(page, queue.locator('button[type=submit]'));
  if (!page.url().includes(`/darbs/lietas/${report.case_id}`)) {
    throw new Error(`taking the next case led to ${page.url()}`);
  }
  await examine(page, 'expert-case', response);
  // The evidence links open the document viewer at the cited page, spans highlighted.
  const caseUrl = page.url();
  response = await submitWith(page, page.locator('section[aria-labelledby="pieradijumi"] a[href*="/dokumenti/"]').first());
  report.document_marks = await page.locator('pre.document mark').count();
  await examine(page, 'expert-document', response);
  await page.goto(caseUrl);
  // The expert decides: where the draft proposes another outcome than the one this case was
  // signed with, the expert changes outcome, percentage, term and cause before approving.
  const decides = cfg.expert_decides;
  report.draft_outcome = await page.locator('#outcome').inputValue();
  if (report.draft_outcome !== decides.outcome) {
    await page.locator('#outcome').selectOption(decides.outcome);
    await page.locator('#pct').fill('');
    await page.locator('#term').selectOption(decides.term);
    await page.locator('#cause').selectOption(decides.cause);
  }
  const text = page.locator('#opinion_text');
  await text.fill(`${await text.inputValue()}\n${cfg.expert_note}`);
  response = await submitWith(page, page.locator('button[name=action][value=approve]'));
  if (response.status() !== 200) throw new Error(`approving answered ${response.status()}`);
  await examine(page, 'expert-approved', response);

  step('the official signs');
  const officialContext = await newContext();
  const official = await signIn(officialContext, cfg.official, 'official');
  page = official.page;
  await examine(page, 'signature-queue', official.response);
  response = await submitWith(page, page.locator('main a', { hasText: report.case_id }));
  await examine(page, 'official-case', response);
  response = await submitWith(page, page.locator('form[action*="/parakstit"] button'));
  if (response.status() !== 200) throw new Error(`signing answered ${response.status()}`);
  await examine(page, 'official-signed', response);
  await officialContext.close();
  await expertContext.close();

  step('the quality team sees the queues read-only and the console with the signed decision');
  {
    const context = await newContext();
    const quality = await signIn(context, cfg.quality, 'quality');
    await examine(quality.page, 'quality-queues', quality.response);
    const console = await submitWith(quality.page, quality.page.locator('main a[href="/kvalitate"]'));
    await examine(quality.page, 'quality-console', console);
    report.quality_week = await quality.page.locator('section[aria-labelledby="nedelas"] tbody tr').first().innerText();

    step('the quality team samples it for a blind second reading and downloads the de-identified export');
    response = await submitWith(quality.page, quality.page.locator('form[action*="/kvalitate/otra-lasisana"] button'));
    await examine(quality.page, 'quality-sampled', response);
    const [exported] = await Promise.all([
      quality.page.waitForEvent('download'),
      quality.page.locator('section[aria-labelledby="eksports"] a[download]').click(),
    ]);
    report.export_zip = join(cfg.out, 'export.zip');
    await exported.saveAs(report.export_zip);

    step('a second expert reads the case blind and records an outcome');
    const readerContext = await newContext();
    const reader = await signIn(readerContext, cfg.second_expert, 'expert');
    response = await submitWith(reader.page, reader.page.locator('main a[href="/darbs/otra-lasisana"]'));
    await examine(reader.page, 'second-reading-list', response);
    response = await submitWith(reader.page, reader.page.locator('main td a', { hasText: report.case_id }));
    await examine(reader.page, 'second-reading-case', response);
    report.second_reading_text = await reader.page.locator('main').innerText();
    await reader.page.selectOption('#outcome', 'none');
    response = await submitWith(reader.page, reader.page.locator('main form button[type=submit]'));
    if (response.status() !== 200) throw new Error(`recording the reading answered ${response.status()}`);
    await readerContext.close();

    response = await quality.page.goto(`${cfg.base}/kvalitate`);
    await examine(quality.page, 'quality-agreement', response);
    report.quality_agreement = await quality.page.locator('section[aria-labelledby="otra"] dl').innerText();
    await context.close();
  }

  step('the applicant sees the decision and downloads it');
  page = applicant.page;
  response = await page.goto(`${cfg.base}/e-pakalpojums/lietas/${encodeURIComponent(report.case_id)}`);
  await examine(page, 'applicant-decision', response);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('a[href$="decision.pdf"]').click(),
  ]);
  const saved = join(cfg.out, 'decision.pdf');
  await download.saveAs(saved);
  report.decision_pdf = { file: saved, suggested_name: download.suggestedFilename() };

  step('the applicant asks for a duplicate certificate, in English');
  response = await page.goto(
    `${cfg.base}/e-pakalpojums/lietas/${encodeURIComponent(report.case_id)}?lang=en`,
  );
  response = await submitWith(page, page.locator('form[action*="/dublikats"] button'));
  await examine(page, 'applicant-duplicate-en', response);

  step('the applicant sees their data: decisions, certificates, who read them');
  response = await page.goto(`${cfg.base}/e-pakalpojums/mani-dati?lang=lv`);
  await examine(page, 'applicant-my-data', response);
  report.my_data = {
    decisions: await page.locator('section[aria-labelledby="lemumi"] tbody tr').allInnerTexts(),
    certificates: await page.locator('section[aria-labelledby="apliecibas"] li').count(),
    readers: await page.locator('section[aria-labelledby="piekluve"] tbody td:nth-child(2)').allInnerTexts(),
    region: await page.locator('section[aria-labelledby="persona"] dd').nth(3).innerText(),
  };
  const [exported] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('a[href="/api/v1/me/data"]').click(),
  ]);
  await exported.saveAs(join(cfg.out, 'mani-dati.json'));

  step('a representative applies for the person they represent');
  {
    const context = await newContext();
    const rep = await signIn(context, cfg.representative, 'representative');
    await examine(rep.page, 'representative-start', rep.response);
    const filed = await fileFor(rep.page, cfg.represented, {
      region: 'Kurzeme',
      rep_role: 'parent',
      rep_name: 'Anna Bērziņa',
    });
    await examine(rep.page, 'representative-case', filed);
    await context.close();
  }

  step('a branch clerk files an assisted application for a person without an e-identity');
  {
    const context = await newContext();
    const clerk = await signIn(context, cfg.clerk, 'clerk');
    await examine(clerk.page, 'clerk-start', clerk.response);
    const filed = await fileFor(clerk.page, cfg.assisted, { region: 'Zemgale' });
    await examine(clerk.page, 'clerk-case', filed);
    const taken = new URL(clerk.page.url()).pathname.split('/').pop();
    await clerk.page.goto(`${cfg.base}/e-pakalpojums`);
    report.clerk_lists_filed = (await clerk.page.locator('#lietas ~ table td', { hasText: decodeURIComponent(taken) }).count()) > 0;
    await context.close();
  }

  step('an error page: a case that is not theirs');
  response = await page.goto(`${cfg.base}/e-pakalpojums/lietas/no-such-case?lang=lv`);
  await examine(page, 'error-not-found', response);
  await applicantContext.close();
} catch (e) {
  report.error = String(e && e.stack ? e.stack : e);
  console.error(report.error);
  process.exitCode = 1;
} finally {
  writeFileSync(join(cfg.out, 'report.json'), JSON.stringify(report, null, 2));
  await browser.close();
}
