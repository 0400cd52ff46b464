/**
 * npm run triage:eval [-- options]
 *
 * Emergency recall and false alarms (non-emergency messages answered `emergency`) of the whole safety
 * layer with the rules provider (the path POST /api/triage takes), per set, per language and per
 * red-flag category; the misses; and the speed in messages per second on one core.
 *
 *   --sets a,b        only these sets (names or roles: corpus, training, fresh, folded, blind, retired);
 *                     default all
 *   --manifest file   another manifest than test/fixtures/triage/sets.json (tests of this script)
 *   --no-model        without the statistical detector (to see what each detector does)
 *   --explain "text"  print what the detectors see in one message, then exit
 *   --show-blind-text print the text of a fresh batch's misses (after its figure is recorded; never for
 *                     blind or retired sets, whose text this script never prints)
 *   --no-speed        skip the speed measurement
 *   --why             for misses and false alarms of open sets: which rules, red flags, mentions and model score
 *
 * Fresh sets that are not folded yet print only counts and, for misses and false alarms, id + language +
 * category/kind + the answer's level; blind and retired sets print counts and id + language +
 * category/kind only. The blind targets are judged on the `blind` sets alone (a `retired` set is printed
 * for its history). Exits 1 when the corpus is below its targets (100% recall, <= 5% false alarms).
 */
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { detect } from '../triage/detect/detector';
import { detectLanguage } from '../triage/language';
import { loadModel, scoreDetection, wordCount } from '../triage/model/model';
import { loadRulebook } from '../triage/rules/rulebook';
import { createRulesProvider } from '../triage/rules/provider';
import { createSafetyLayer } from '../triage/safety';
import type { Assessment } from '../triage/types';
import {
  CATEGORIES,
  KINDS,
  loadManifest,
  loadSet,
  OPEN_ROLES,
  patientText,
  SEALED_ROLES,
  type LabelledMessage,
  type SetEntry,
} from './triage-sets';

const TARGETS = {
  corpus: { recall: 1, falseAlarms: 0.05 },
  blind: { recall: 0.98, falseAlarms: 0.08 },
};

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

const pct = (n: number, d: number) => (d === 0 ? '   -  ' : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
const frac = (n: number, d: number) => `${n}/${d}`.padStart(8);

interface Outcome {
  message: LabelledMessage;
  assessment: Assessment;
  alarm: boolean;
}

function explain(text: string): void {
  const lang = detectLanguage(text) ?? 'en';
  const detection = detect([{ text, lang }]);
  const model = loadModel();
  console.log(`language: ${lang}`);
  console.log(`canonical: ${detection.canonical[0]}`);
  console.log(
    `mentions: ${detection.mentions.map((m) => `${m.concept}@${m.pos}${m.scope === 'current' ? '' : `:${m.scope}`}`).join(' ')}`,
  );
  console.log(`red flags: ${detection.flags.map((f) => f.id).join(', ') || '-'}`);
  console.log(`signals: ${detection.signals.map((f) => f.id).join(', ') || '-'}`);
  const verdict = scoreDetection(detection, model);
  console.log(
    `model: ${model ? `score ${verdict.score.toFixed(3)} (emergency >= ${model.threshold.toFixed(3)} with a warning sign in ${model.minWords}+ words, >= ${model.strongThreshold.toFixed(3)} alone; unsure >= ${model.unsureThreshold.toFixed(3)}; ${wordCount(detection.canonical)} words) -> ${verdict.emergency ? 'EMERGENCY' : verdict.unsure ? 'unsure' : 'no'}` : 'no weights'}`,
  );
}

async function main(): Promise<void> {
  const explainText = argValue('--explain');
  if (explainText !== undefined) {
    explain(explainText);
    return;
  }
  const showBlind = flag('--show-blind-text');
  const wanted = argValue('--sets')
    ?.split(',')
    .map((s) => s.trim());
  const manifestPath = argValue('--manifest');
  const manifest = loadManifest(manifestPath ? resolve(manifestPath) : undefined).filter(
    (e) => !wanted || wanted.includes(e.name) || wanted.includes(e.role),
  );
  const rules = createRulesProvider(loadRulebook(), flag('--no-model') ? { model: null } : {});
  const core = createSafetyLayer({ rules, inner: rules });

  const loaded: Array<{ entry: SetEntry; messages: LabelledMessage[] }> = [];
  for (const entry of manifest) {
    const messages = loadSet(entry);
    if (messages) loaded.push({ entry, messages });
    else console.log(`(skipped ${entry.name}: ${entry.file} does not exist yet)`);
  }
  const all: Outcome[] = [];
  const started = performance.now();
  for (const { messages } of loaded) {
    for (const message of messages) {
      const assessment = await core.assess({ messages: message.turns });
      all.push({ message, assessment, alarm: assessment.triageLevel === 'emergency' });
    }
  }
  const coldSeconds = (performance.now() - started) / 1000;

  console.log(
    `\nTriage eval: safety layer + rules provider${flag('--no-model') ? ' (statistical detector OFF)' : ''}, ` +
      `model weights: ${loadModel() ? 'yes' : 'none'}\n`,
  );
  console.log('set         role      msgs  emergencies  recall            false alarms');
  let corpusOk = true;
  for (const { entry } of loaded) {
    const rows = all.filter((o) => o.message.set === entry.name);
    const emergencies = rows.filter((o) => o.message.emergency);
    const others = rows.filter((o) => !o.message.emergency);
    const caught = emergencies.filter((o) => o.alarm).length;
    const alarms = others.filter((o) => o.alarm).length;
    console.log(
      `${entry.name.padEnd(11)} ${entry.role.padEnd(8)} ${String(rows.length).padStart(5)} ${String(emergencies.length).padStart(12)}  ` +
        `${frac(caught, emergencies.length)} ${pct(caught, emergencies.length)}  ${frac(alarms, others.length)} ${pct(alarms, others.length)}`,
    );
    if (entry.role === 'corpus') {
      corpusOk =
        caught / Math.max(1, emergencies.length) >= TARGETS.corpus.recall &&
        alarms / Math.max(1, others.length) <= TARGETS.corpus.falseAlarms;
    }
  }

  for (const { entry } of loaded) {
    const rows = all.filter((o) => o.message.set === entry.name);
    const sealed = SEALED_ROLES.includes(entry.role);
    const hidden = sealed || (entry.role === 'fresh' && !showBlind);
    console.log(`\n== ${entry.name} (${entry.role})`);
    for (const lang of ['en', 'pt', 'es'] as const) {
      const inLang = rows.filter((o) => o.message.lang === lang);
      const e = inLang.filter((o) => o.message.emergency);
      const n = inLang.filter((o) => !o.message.emergency);
      console.log(
        `  ${lang}: recall ${frac(e.filter((o) => o.alarm).length, e.length)} ${pct(e.filter((o) => o.alarm).length, e.length)}` +
          `   false alarms ${frac(n.filter((o) => o.alarm).length, n.length)} ${pct(n.filter((o) => o.alarm).length, n.length)}`,
      );
    }
    const categories = [...new Set(rows.filter((o) => o.message.emergency).map((o) => o.message.label))].sort(
      (a, b) => CATEGORIES.indexOf(a) - CATEGORIES.indexOf(b),
    );
    console.log('  recall per category:');
    for (const category of categories) {
      const e = rows.filter((o) => o.message.emergency && o.message.label === category);
      const unknown = entry.role !== 'corpus' && !CATEGORIES.includes(category) ? ' (not a brief category)' : '';
      console.log(`    ${category.padEnd(20)} ${frac(e.filter((o) => o.alarm).length, e.length)}${unknown}`);
    }
    const kinds = [...new Set(rows.filter((o) => !o.message.emergency).map((o) => o.message.label))].sort();
    console.log('  false alarms per kind:');
    for (const kind of kinds) {
      const n = rows.filter((o) => !o.message.emergency && o.message.label === kind);
      const unknown = entry.role !== 'corpus' && !KINDS.includes(kind) ? ' (not a brief kind)' : '';
      console.log(`    ${kind.padEnd(20)} ${frac(n.filter((o) => o.alarm).length, n.length)}${unknown}`);
    }
    const misses = rows.filter((o) => o.message.emergency && !o.alarm);
    const alarms = rows.filter((o) => !o.message.emergency && o.alarm);
    const line = (o: Outcome, what: string) => {
      // A blind or retired set: id, language and category or kind, nothing else.
      if (sealed) return `    ${o.message.id} ${o.message.lang} ${o.message.label}`;
      const head = `    ${o.message.id} ${o.message.lang} ${o.message.label} -> ${o.assessment.triageLevel}`;
      if (hidden) return head;
      if (!OPEN_ROLES.includes(entry.role)) return `${head}: ${JSON.stringify(patientText(o.message))}`;
      return `${head}${what}: ${JSON.stringify(patientText(o.message))}`;
    };
    const why = (o: Outcome) => {
      if (!flag('--why') || hidden || !OPEN_ROLES.includes(entry.role)) return;
      const evaluation = rules.evaluate({ messages: o.message.turns });
      const current = evaluation.detection.mentions.filter((m) => m.scope === 'current').map((m) => m.concept);
      const other = evaluation.detection.mentions
        .filter((m) => m.scope !== 'current')
        .map((m) => `${m.concept}:${m.scope}`);
      console.log(
        `        rules: ${evaluation.matched.map((r) => r.id).join(',') || '-'} | v2: ${evaluation.detection.flags.map((f) => f.id).join(',') || '-'}` +
          ` | signals: ${evaluation.detection.signals.map((f) => f.id).join(',') || '-'} | model ${evaluation.model.score.toFixed(2)}`,
      );
      console.log(
        `        current: ${[...new Set(current)].join(' ')}${other.length ? ` | not current: ${other.join(' ')}` : ''}`,
      );
      console.log(`        canonical: ${evaluation.detection.canonical.join(' / ')}`);
    };
    console.log(`  misses (${misses.length}):`);
    for (const o of misses) {
      console.log(line(o, ''));
      why(o);
    }
    console.log(`  false alarms (${alarms.length}):`);
    for (const o of alarms) {
      console.log(line(o, ` [${o.assessment.redFlags.join(',')}]`));
      why(o);
    }
  }

  const total = all.length;
  console.log(
    `\nfirst pass (cold caches): ${total} assessments in ${coldSeconds.toFixed(2)} s = ${(total / coldSeconds).toFixed(0)} messages/s`,
  );
  if (!flag('--no-speed') && total > 0) {
    const inputs = all.map((o) => ({ messages: o.message.turns }));
    const cpuSeconds = () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    };
    let count = 0;
    const t0 = performance.now();
    const c0 = cpuSeconds();
    while (performance.now() - t0 < 3000) {
      for (const input of inputs) await core.assess(input);
      count += inputs.length;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds() - c0;
    console.log(
      `speed: ${count} assessments (the messages above, repeated) in ${seconds.toFixed(2)} s wall, ${cpu.toFixed(2)} s CPU = ` +
        `${(count / cpu).toFixed(0)} messages per CPU-second (${(count / seconds).toFixed(0)}/s wall-clock); ` +
        `whole safety layer with the rules provider, in one Node.js thread (one core)`,
    );
  }

  const roleOf = (o: Outcome) => loaded.find((l) => l.entry.name === o.message.set)?.entry.role;
  const targets = (title: string, rows: Outcome[]) => {
    if (rows.length === 0) return;
    const names = [...new Set(rows.map((o) => o.message.set))].join(' + ');
    console.log(`\n${title} (${names}; recall >= 98% in each language, false alarms <= 8%):`);
    const e = rows.filter((o) => o.message.emergency);
    console.log(
      `  all recall ${frac(e.filter((o) => o.alarm).length, e.length)} ${pct(e.filter((o) => o.alarm).length, e.length)}`,
    );
    for (const lang of ['en', 'pt', 'es'] as const) {
      const inLang = e.filter((o) => o.message.lang === lang);
      const caught = inLang.filter((o) => o.alarm).length;
      const r = caught / Math.max(1, inLang.length);
      console.log(
        `  ${lang} recall ${frac(caught, inLang.length)} ${pct(caught, inLang.length)} ${r >= TARGETS.blind.recall ? 'MET' : 'NOT MET'}`,
      );
    }
    const n = rows.filter((o) => !o.message.emergency);
    const alarms = n.filter((o) => o.alarm).length;
    const fa = alarms / Math.max(1, n.length);
    console.log(
      `  false alarms ${frac(alarms, n.length)} ${pct(alarms, n.length)} ${fa <= TARGETS.blind.falseAlarms ? 'MET' : 'NOT MET'}`,
    );
  };
  targets(
    'blind targets, final blind set',
    all.filter((o) => roleOf(o) === 'blind'),
  );
  targets(
    'retired blind set, for its history only (not the judge)',
    all.filter((o) => roleOf(o) === 'retired'),
  );
  if (loaded.some((l) => l.entry.role === 'corpus')) {
    console.log(`\ncorpus targets (100% recall, <= 5% false alarms): ${corpusOk ? 'MET' : 'NOT MET'}`);
    if (!corpusOk) process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 2;
});
