/**
 * Free-text scrubbing of Chinese clinical notes: resident ID numbers, phone numbers, hospital ids, addresses
 * and personal names are replaced by tags ([身份证号] [电话] [编号] [地址] [姓名]). Numbers are found by their
 * shape alone (over-scrubbing a long number is safer than leaking one); names only in context — after a label
 * (姓名：, 签名：), after 患者, before a title (医生, 护士, 主任), or because the caller knows them (the
 * patient's own name, decrypted at the node) — since a bare surname character also starts ordinary words
 * (高血压, 黄疸). Pure: the same text and options always give the same output.
 */

/** What a scrub pass found. */
export type ScrubKind = 'name' | 'id_number' | 'phone' | 'address' | 'hospital_id';

/** The tag each kind is replaced by. */
export const SCRUB_TAGS: Readonly<Record<ScrubKind, string>> = {
  name: '[姓名]',
  id_number: '[身份证号]',
  phone: '[电话]',
  address: '[地址]',
  hospital_id: '[编号]',
};

/** Options of {@link scrubText}. */
export interface ScrubOptions {
  /** Names known to belong to the note's people (the patient, relatives); matched with any spacing or dots. */
  knownNames?: readonly string[];
}

/** The scrubbed text and how many replacements of each kind were made. */
export interface ScrubResult {
  text: string;
  counts: Record<ScrubKind, number>;
}

/** Shortest known name matched (characters, separators excluded): one character is a surname, not a name. */
const KNOWN_NAME_CHARS_MIN = 2;
/** Longest known name matched (characters), so a caller cannot build a runaway pattern. */
const KNOWN_NAME_CHARS_MAX = 40;

/** Common Chinese surnames, compound ones first so they win over their first character. */
const SURNAMES = [
  ...['欧阳', '司马', '上官', '诸葛', '司徒', '东方', '皇甫', '夏侯', '尉迟', '公孙', '慕容', '令狐', '长孙'],
  ...['宇文', '端木', '独孤', '南宫', '西门', '轩辕', '呼延', '百里', '澹台', '公冶', '太史', '申屠', '钟离'],
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈',
  ...'姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤',
  ...'常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季',
  ...'裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦',
];
const SURNAME = `(?:${SURNAMES.join('|')})`;

const CJK = '[\\u3400-\\u9fff]';
/** A digit, half- or full-width. */
const D = '[0-9０-９]';
const NOT_D_BEFORE = '(?<![0-9０-９])';
const NOT_D_AFTER = '(?![0-9０-９])';
/** Horizontal space (never a line break, so a match cannot run into the next line). */
const SP = '[ \\t\\u3000]';
/** Middle dots of minority names (·, •, ・, ．, .). */
const DOTS = '·•・．.';

/** Labels after which a field value ends (the next field on the same line). */
const NEXT_LABELS =
  '(?:性别|性\\s*别|年龄|出生|民族|职业|婚姻|籍贯|住院号|门诊号|病案号|科室|床号|身份证|电话|联系|地址|住址|入院|ID)';
/** Where a labelled value ends: a next label, punctuation, a line break or the end. */
const VALUE_END = `(?=${SP}*${NEXT_LABELS}|${SP}+${CJK}{1,6}[:：]|${SP}*(?:[\\n\\r，,。；;（(、]|$))`;

/** A character that may not start an address segment (context words such as 家住, 患者, 来自). */
const SEG_START = `(?![家住在于到至往从自是的和及与患者其为系现居诉])${CJK}`;
const PROVINCE =
  '(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?';
const ADMIN_SEG = `${SEG_START}${CJK}{0,5}?(?:自治州|自治县|地区|新区|市|州|盟|区|县|旗)`;
const TOWN_SEG = `${SEG_START}${CJK}{0,5}?(?:街道|镇|乡)`;
const STREET = `${SEG_START}[\\u3400-\\u9fffA-Za-z0-9]{0,8}?(?:大道|大街|胡同|小区|花园|公寓|新村|路|街|巷|弄|村|里)`;
const NUM_UNIT = `(?:[0-9０-９一二三四五六七八九十百零〇A-Za-z-]+(?:号楼|号院|号|弄|栋|幢|座|单元|层|楼|室|户))+`;

const NAME_LABELS =
  '(?:患者姓名|病人姓名|姓名|医师签名|医生签名|护士签名|签名|记录者|记录人|报告人|审核人|联系人|家属|监护人|主治医师|主治医生|住院医师|经治医师|责任护士)';
const TITLES = '(?:护士长|医生|医师|大夫|护士|主任|教授|院长)';
const PATIENT_WORDS = '(?:患者|病人|患儿)';

/** One replacement pass: a pattern, the kind it finds, and which capture group is the sensitive part. */
interface Pass {
  kind: ScrubKind;
  pattern: RegExp;
  /** 0: replace the whole match; n: replace group n only, keeping the groups before and after it. */
  group: number;
}

const pass = (kind: ScrubKind, source: string, group = 0): Pass => ({ kind, pattern: new RegExp(source, 'gu'), group });

/** Passes in order: labelled values first (they know the kind), then shapes, then names in context. */
const PASSES: readonly Pass[] = [
  pass(
    'hospital_id',
    `((?:住院号|门诊号|病案号|病历号|登记号|就诊号|患者ID|病人ID|ID号|卡号)${SP}*[:：]?${SP}*)([A-Za-z0-9０-９-]{3,})`,
    2,
  ),
  pass(
    'phone',
    `((?:联系电话|联系方式|手机号码?|电话号码?|电话|手机|Tel|TEL|tel)${SP}*[:：]?${SP}*)([+＋]?${D}[0-9０-９()（） -]{5,}${D})`,
    2,
  ),
  pass(
    'id_number',
    `((?:公民身份号码|身份证号码|身份证号|身份证|证件号码|证件号)${SP}*[:：]?${SP}*)(${D}{6,17}[0-9０-９XxＸｘ]?)`,
    2,
  ),
  pass(
    'address',
    `((?:家庭住址|现住址|户籍地址|联系地址|居住地址|住址|地址)${SP}*[:：]${SP}*)([^\\n\\r，,。；;]{2,60})`,
    2,
  ),
  pass('id_number', `${NOT_D_BEFORE}${D}{17}[0-9０-９XxＸｘ]${NOT_D_AFTER}`),
  pass('id_number', `${NOT_D_BEFORE}${D}{15}${NOT_D_AFTER}`),
  pass('phone', `${NOT_D_BEFORE}(?:[+＋]?86[- ]?)?[1１][3-9３-９]${D}{9}${NOT_D_AFTER}`),
  pass('phone', `[1１][3-9３-９]${D}[- \\u3000]${D}{4}[- \\u3000]${D}{4}`),
  pass('phone', `(?:[(（]0${D}{2,3}[)）]${SP}?|0${D}{2,3}[- \\u3000])[2-9２-９]${D}{6,7}(?:${SP}*转${SP}*${D}{1,6})?`),
  pass('phone', `${NOT_D_BEFORE}0${D}{2,3}[2-9２-９]${D}{6,7}${NOT_D_AFTER}`),
  pass('hospital_id', `(?<![A-Za-z0-9])[A-Z]{1,4}${D}{6,}`),
  pass('hospital_id', `${D}{9,}`),
  pass('address', `${PROVINCE}(?:${ADMIN_SEG}){1,3}(?:${TOWN_SEG})?(?:${STREET}(?:${NUM_UNIT})?)?`),
  pass('address', `(?:${ADMIN_SEG}){0,3}(?:${TOWN_SEG})?${STREET}${NUM_UNIT}`),
  pass('address', `${SEG_START}${CJK}{0,5}?(?:市|州|盟|地区)${ADMIN_SEG}`),
  pass('name', `(${NAME_LABELS}${SP}*[:：]${SP}*)([^\\n\\r，,。；;：:（()）\\[\\]]{1,20}?)${VALUE_END}`, 2),
  pass('name', `(${PATIENT_WORDS})(${SURNAME}(?:某某|某|XX|X|ＸＸ|Ｘ|\\*{1,2}|＊{1,2}|×{1,2}))`, 2),
  pass('name', `(${PATIENT_WORDS})(${CJK}{1,8}[${DOTS}]${CJK}{1,8})`, 2),
  pass('name', `(${PATIENT_WORDS})(${SURNAME}${CJK}{1,2}?)(?=[，,、（(]|${SP}|[男女]性?(?:[，,、]|${SP}))`, 2),
  pass('name', `()(${SURNAME}${CJK}{0,2}?)(?=${TITLES})`, 2),
];

/** A pattern matching a known name with any whitespace or middle dots between its characters. */
function knownNamePattern(name: string): RegExp | null {
  const chars = [...name.replace(new RegExp(`[\\s${DOTS}]`, 'gu'), '')];
  if (chars.length < KNOWN_NAME_CHARS_MIN || chars.length > KNOWN_NAME_CHARS_MAX) return null;
  const escaped = chars.map((c) => c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(escaped.join(`[\\s${DOTS}]*`), 'gu');
}

function applyPass(text: string, p: Pass, counts: Record<ScrubKind, number>): string {
  const tag = SCRUB_TAGS[p.kind];
  return text.replace(p.pattern, (...args: unknown[]) => {
    counts[p.kind]++;
    if (p.group === 0) return tag;
    const groups = args.slice(1, p.group + 1) as (string | undefined)[];
    return `${groups.slice(0, -1).join('')}${tag}`;
  });
}

/** Replaces identifiers in `text` by tags; known names go first, then the passes above in order. */
export function scrubText(text: string, opts: ScrubOptions = {}): ScrubResult {
  const counts: Record<ScrubKind, number> = { name: 0, id_number: 0, phone: 0, address: 0, hospital_id: 0 };
  let out = text;
  const known = [...new Set(opts.knownNames ?? [])].sort((a, b) => b.length - a.length);
  for (const name of known) {
    const pattern = knownNamePattern(name);
    if (pattern !== null) out = applyPass(out, { kind: 'name', pattern, group: 0 }, counts);
  }
  for (const p of PASSES) out = applyPass(out, p, counts);
  return { text: out, counts };
}
