/**
 * Patient panorama across three hospital nodes, end to end with real parts (test/panorama/panorama-consortium.ts):
 * four validator processes, the hub in-process, three nodes in-process over the mutual-TLS task channel. For
 * patients seen at all three hospitals it times `search` (own node resolves the ID number, index lookup) and
 * `open` (one `access.record` per hospital committed on the ledger, each node checking it on its replica, FHIR
 * shaping, merge). Baseline in the same run: the three nodes' own reads of the same patients (resolve + FHIR
 * shaping from the lakes, no hub, channel or ledger write). Target: open < 500 ms.
 *   npm run bench -- panorama            (BENCH_PATIENTS: persons per hospital, default 300; BENCH_OPENS: 20)
 */
import { makeIdNumber } from '../src/demo/generator/id-number.ts';
import { type PanoramaNodeDeps, patientTokens, personResources, resolvePersons } from '../src/panorama/node.ts';
import { PANORAMA_HUB, startPanoramaConsortium } from '../test/panorama/panorama-consortium.ts';
import { median, report } from './_report.ts';

const PATIENTS = Number(process.env.BENCH_PATIENTS ?? 300);
const OPENS = Math.min(Number(process.env.BENCH_OPENS ?? 20), PATIENTS);
const VISITS = 12;
const HOSPITALS = ['hospital-a', 'hospital-b', 'hospital-c'] as const;
const TARGET_MS = 500;

const ids = Array.from({ length: PATIENTS }, (_, i) => makeIdNumber('440106', 3_000 + i * 17, 100 + (i % 800)));

function exportsOf(h: number): Record<string, string> {
  const register = ['pid,idno,name,sex,born'];
  const visits = ['pid,vid,type,start,dept'];
  const dx = ['pid,vid,code,name,date'];
  ids.forEach((id, i) => {
    const born = new Date((3_000 + i * 17) * 86_400_000).toISOString().slice(0, 10);
    register.push(`P${h}-${i},${id},患者${i},${i % 2 ? '男' : '女'},${born}`);
    for (let v = 0; v < VISITS; v++) {
      const date = `20${10 + v}-0${1 + ((i + h) % 9)}-1${h}`;
      visits.push(`P${h}-${i},V${h}-${i}-${v},outpatient,${date},科室${v % 5}`);
      dx.push(`P${h}-${i},V${h}-${i}-${v},E11.${v % 10},诊断${v},${date}`);
    }
  });
  return {
    'register.csv': `${register.join('\n')}\n`,
    'visits.csv': `${visits.join('\n')}\n`,
    'diagnoses.csv': `${dx.join('\n')}\n`,
  };
}

const t0 = performance.now();
const c = await startPanoramaConsortium({
  hospitals: HOSPITALS.map((name, h) => ({ name, files: exportsOf(h) })),
  users: [['clinician', 'clinician', 'hospital-a']],
});
process.stderr.write(`consortium ready in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);

try {
  const searchMs: number[] = [];
  const openMs: number[] = [];
  let entries = 0;
  for (let i = 0; i < OPENS; i++) {
    const idNumber = ids[i] as string;
    let t = performance.now();
    const s = await c.call('clinician', 'POST', '/api/panorama/search', { idNumber });
    searchMs.push(performance.now() - t);
    if (s.statusCode !== 200) throw new Error(`search failed: ${s.body}`);
    t = performance.now();
    const o = await c.call('clinician', 'POST', '/api/panorama/open', { handle: s.json().handle });
    openMs.push(performance.now() - t);
    if (o.statusCode !== 200) throw new Error(`open failed: ${o.body}`);
    const body = o.json() as { hospitals: { status: string }[]; timeline: { entries: unknown[] } };
    if (body.hospitals.filter((h) => h.status === 'ok').length !== HOSPITALS.length)
      throw new Error(`not every hospital answered: ${JSON.stringify(body.hospitals)}`);
    entries += body.timeline.entries.length;
  }

  const baselineMs: number[] = [];
  for (let i = 0; i < OPENS; i++) {
    const t = performance.now();
    for (const h of HOSPITALS) {
      const n = c.nodes.get(h);
      if (!n) throw new Error(`no node ${h}`);
      const deps: PanoramaNodeDeps = {
        lake: n.stores.lake,
        crypto: n.stores.crypto,
        key: n.linkageKey,
        hospital: h,
        ledger: { records: async () => [] },
      };
      const r = await resolvePersons(deps, ids[i] as string);
      const keys = r.persons.map((p) => p.personKey);
      await patientTokens(deps, keys);
      for (const k of keys) await personResources(deps, k);
    }
    baselineMs.push(performance.now() - t);
  }

  const p95 = (v: number[]) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.95))] ?? 0;
  const rows = [
    {
      step: 'search (own node resolve + index)',
      p50_ms: +median(searchMs).toFixed(1),
      p95_ms: +p95(searchMs).toFixed(1),
    },
    {
      step: 'open (3 ledger records, 3 nodes, merge)',
      p50_ms: +median(openMs).toFixed(1),
      p95_ms: +p95(openMs).toFixed(1),
    },
    {
      step: 'baseline: direct reads at 3 nodes',
      p50_ms: +median(baselineMs).toFixed(1),
      p95_ms: +p95(baselineMs).toFixed(1),
    },
  ];
  report(
    `patient panorama, ${HOSPITALS.length} nodes × ${PATIENTS} persons, ${OPENS} patients (ledger: ${PANORAMA_HUB}…)`,
    rows,
    {
      bench: 'panorama',
      nodes: HOSPITALS.length,
      patients_per_node: PATIENTS,
      opens: OPENS,
      entries_per_open: Math.round(entries / OPENS),
      search_p50_ms: +median(searchMs).toFixed(1),
      open_p50_ms: +median(openMs).toFixed(1),
      open_p95_ms: +p95(openMs).toFixed(1),
      total_p50_ms: +(median(searchMs) + median(openMs)).toFixed(1),
      baseline_p50_ms: +median(baselineMs).toFixed(1),
      ratio_open_to_baseline: +(median(openMs) / median(baselineMs)).toFixed(2),
      target_ms: TARGET_MS,
      meets_target: median(searchMs) + median(openMs) < TARGET_MS,
    },
  );
} finally {
  await c.close();
}
