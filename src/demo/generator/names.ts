/**
 * Chinese personal names: surnames drawn by approximate national frequency (per-mille, after the 2020
 * census tables; compound surnames such as 欧阳, 司马, 上官, 诸葛 included at their small real shares), given
 * names of one or two characters by sex, Uyghur-style names joined by the middle dot (·), and homophone
 * characters for the typos a registration clerk makes. Every character here is in GBK.
 */
import { type Rng, weightedTable } from './prng.ts';

const SURNAMES: readonly (readonly [string, number])[] = [
  ['王', 71],
  ['李', 70],
  ['张', 67],
  ['刘', 54],
  ['陈', 46],
  ['杨', 31],
  ['黄', 22],
  ['赵', 20],
  ['吴', 20],
  ['周', 19],
  ['徐', 16],
  ['孙', 15],
  ['马', 14],
  ['朱', 13],
  ['胡', 13],
  ['郭', 12],
  ['何', 12],
  ['高', 11],
  ['林', 11],
  ['罗', 10],
  ['郑', 9],
  ['梁', 9],
  ['谢', 8],
  ['宋', 7],
  ['唐', 7],
  ['许', 7],
  ['韩', 7],
  ['冯', 6],
  ['邓', 6],
  ['曹', 6],
  ['彭', 6],
  ['曾', 6],
  ['肖', 6],
  ['田', 5],
  ['董', 5],
  ['袁', 5],
  ['潘', 5],
  ['于', 5],
  ['蒋', 5],
  ['蔡', 5],
  ['余', 5],
  ['杜', 4],
  ['叶', 4],
  ['程', 4],
  ['苏', 4],
  ['魏', 4],
  ['吕', 4],
  ['丁', 4],
  ['任', 4],
  ['沈', 4],
  ['姚', 3],
  ['卢', 3],
  ['姜', 3],
  ['崔', 3],
  ['钟', 3],
  ['谭', 3],
  ['陆', 3],
  ['汪', 3],
  ['范', 3],
  ['金', 3],
  ['石', 3],
  ['廖', 3],
  ['贾', 3],
  ['夏', 3],
  ['韦', 3],
  ['付', 3],
  ['方', 3],
  ['白', 2],
  ['邹', 2],
  ['孟', 2],
  ['熊', 2],
  ['秦', 2],
  ['邱', 2],
  ['江', 2],
  ['尹', 2],
  ['薛', 2],
  ['闫', 2],
  ['段', 2],
  ['雷', 2],
  ['侯', 2],
  ['龙', 2],
  ['史', 2],
  ['陶', 2],
  ['黎', 2],
  ['贺', 2],
  ['顾', 2],
  ['毛', 2],
  ['郝', 2],
  ['龚', 2],
  ['邵', 2],
  ['万', 2],
  ['钱', 2],
  ['严', 2],
  ['覃', 2],
  ['武', 2],
  ['戴', 2],
  ['莫', 2],
  ['欧阳', 0.5],
  ['司马', 0.1],
  ['上官', 0.1],
  ['诸葛', 0.1],
  ['司徒', 0.1],
  ['东方', 0.05],
  ['皇甫', 0.05],
  ['夏侯', 0.03],
  ['尉迟', 0.03],
  ['公孙', 0.03],
  ['慕容', 0.03],
  ['令狐', 0.02],
  ['长孙', 0.02],
  ['宇文', 0.02],
];

const SURNAME_TABLE = weightedTable(SURNAMES);

const GIVEN_MALE = [
  ...'伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国峰亮成志文东海兵晨博晓洋毅昊睿翔立振永春嘉泽',
];
const GIVEN_FEMALE = [
  ...'芳娜敏静丽艳娟霞秀玲燕英萍红琳洁婷雪倩颖慧莉梅兰欣怡佳晶琴云凤月雯璐楠蕾薇瑶妍悦婧丹蓉菲晓思梦雨',
];

const UYGHUR_MALE = ['买买提', '艾力', '阿不都', '吐尔逊', '艾尔肯', '麦麦提', '阿布拉', '依明', '努尔', '热合曼'];
const UYGHUR_FEMALE = ['阿依古丽', '古丽娜尔', '热依拉', '迪丽拜尔', '帕提古丽', '米热阿依', '努尔古丽', '再娜甫'];
const UYGHUR_FATHER = [
  '艾买提',
  '吐尔逊',
  '阿不都拉',
  '买买提',
  '依明',
  '热合木',
  '阿力木',
  '玉素甫',
  '司马义',
  '吾守尔',
];

/** Same-sound characters (same pinyin, tone included unless noted in the pair list) a clerk may type instead. */
export const HOMOPHONES: Readonly<Record<string, string>> = {
  王: '汪',
  张: '章',
  杨: '阳',
  伟: '玮',
  磊: '垒',
  军: '君',
  勇: '永',
  杰: '洁',
  涛: '韬',
  斌: '彬',
  明: '鸣',
  刚: '钢',
  平: '萍',
  辉: '晖',
  鹏: '朋',
  飞: '菲',
  宇: '雨',
  浩: '昊',
  凯: '铠',
  健: '建',
  俊: '骏',
  帆: '凡',
  旭: '煦',
  龙: '隆',
  林: '琳',
  阳: '扬',
  建: '健',
  峰: '锋',
  成: '诚',
  志: '智',
  文: '雯',
  东: '冬',
  晨: '辰',
  晓: '小',
  洋: '阳',
  毅: '艺',
  睿: '瑞',
  翔: '祥',
  立: '丽',
  振: '震',
  永: '勇',
  嘉: '佳',
  泽: '择',
  芳: '方',
  娜: '纳',
  静: '婧',
  丽: '莉',
  艳: '燕',
  娟: '鹃',
  霞: '侠',
  秀: '绣',
  玲: '铃',
  燕: '艳',
  英: '瑛',
  萍: '平',
  红: '虹',
  琳: '林',
  洁: '杰',
  婷: '亭',
  倩: '茜',
  颖: '影',
  慧: '惠',
  莉: '丽',
  梅: '玫',
  兰: '岚',
  欣: '新',
  怡: '仪',
  佳: '嘉',
  晶: '菁',
  琴: '芹',
  云: '芸',
  月: '悦',
  雯: '文',
  璐: '露',
  楠: '南',
  蕾: '磊',
  薇: '微',
  瑶: '遥',
  妍: '研',
  悦: '月',
  婧: '静',
  蓉: '荣',
  菲: '飞',
  思: '丝',
  梦: '孟',
  雨: '宇',
};

/** A generated name: family and given parts, and the whole as written. */
export interface PersonName {
  family: string;
  given: string;
  full: string;
  minority: boolean;
}

/** Draws a Han name (surname by frequency, one or two given characters). */
export function drawHanName(rng: Rng, sex: 'M' | 'F'): PersonName {
  const family = rng.weighted(SURNAME_TABLE);
  const pool = sex === 'M' ? GIVEN_MALE : GIVEN_FEMALE;
  let given = rng.pick(pool);
  if (rng.chance(0.72)) {
    let second = rng.pick(pool);
    if (second === given && rng.chance(0.7)) second = rng.pick(pool);
    given += second;
  }
  return { family, given, full: family + given, minority: false };
}

/** Draws a Uyghur-style name, own name and father's name joined by the middle dot (U+00B7). */
export function drawMinorityName(rng: Rng, sex: 'M' | 'F'): PersonName {
  const given = rng.pick(sex === 'M' ? UYGHUR_MALE : UYGHUR_FEMALE);
  const family = rng.pick(UYGHUR_FATHER);
  return { family, given, full: `${given}·${family}`, minority: true };
}

/** Replaces one character by a homophone (given name first, then surname); null when none applies. */
export function homophoneVariant(name: PersonName, rng: Rng): string | null {
  if (name.minority) return null;
  const givenChars = [...name.given];
  const candidates = givenChars.map((c, i) => ({ c, i })).filter(({ c }) => HOMOPHONES[c] !== undefined);
  if (candidates.length > 0) {
    const { c, i } = rng.pick(candidates);
    givenChars[i] = HOMOPHONES[c] as string;
    return name.family + givenChars.join('');
  }
  const fam = HOMOPHONES[name.family];
  return fam === undefined ? null : fam + name.given;
}
