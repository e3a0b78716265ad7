/**
 * Administrative regions (GB/T 2260 six-digit codes with province, city and district names), street names
 * for addresses, and mobile number prefixes. The three demo hospitals sit in Shanghai, Wuxi and Tianjin's
 * Binhai New Area, so most patients live near one of them; the rest come from across the country.
 */
import { type Rng, weightedTable } from './prng.ts';

/** One county-level region. */
export interface Region {
  code: string;
  province: string;
  city: string;
  district: string;
}

/** The region table (real codes). */
export const REGIONS: readonly Region[] = [
  { code: '110101', province: '北京市', city: '北京市', district: '东城区' },
  { code: '110102', province: '北京市', city: '北京市', district: '西城区' },
  { code: '110105', province: '北京市', city: '北京市', district: '朝阳区' },
  { code: '110108', province: '北京市', city: '北京市', district: '海淀区' },
  { code: '120101', province: '天津市', city: '天津市', district: '和平区' },
  { code: '120116', province: '天津市', city: '天津市', district: '滨海新区' },
  { code: '310101', province: '上海市', city: '上海市', district: '黄浦区' },
  { code: '310104', province: '上海市', city: '上海市', district: '徐汇区' },
  { code: '310105', province: '上海市', city: '上海市', district: '长宁区' },
  { code: '310106', province: '上海市', city: '上海市', district: '静安区' },
  { code: '310107', province: '上海市', city: '上海市', district: '普陀区' },
  { code: '310110', province: '上海市', city: '上海市', district: '杨浦区' },
  { code: '310112', province: '上海市', city: '上海市', district: '闵行区' },
  { code: '310115', province: '上海市', city: '上海市', district: '浦东新区' },
  { code: '320102', province: '江苏省', city: '南京市', district: '玄武区' },
  { code: '320104', province: '江苏省', city: '南京市', district: '秦淮区' },
  { code: '320106', province: '江苏省', city: '南京市', district: '鼓楼区' },
  { code: '320205', province: '江苏省', city: '无锡市', district: '锡山区' },
  { code: '320206', province: '江苏省', city: '无锡市', district: '惠山区' },
  { code: '320211', province: '江苏省', city: '无锡市', district: '滨湖区' },
  { code: '320213', province: '江苏省', city: '无锡市', district: '梁溪区' },
  { code: '320214', province: '江苏省', city: '无锡市', district: '新吴区' },
  { code: '320402', province: '江苏省', city: '常州市', district: '天宁区' },
  { code: '320505', province: '江苏省', city: '苏州市', district: '虎丘区' },
  { code: '320506', province: '江苏省', city: '苏州市', district: '吴中区' },
  { code: '320508', province: '江苏省', city: '苏州市', district: '姑苏区' },
  { code: '330102', province: '浙江省', city: '杭州市', district: '上城区' },
  { code: '330106', province: '浙江省', city: '杭州市', district: '西湖区' },
  { code: '330108', province: '浙江省', city: '杭州市', district: '滨江区' },
  { code: '330203', province: '浙江省', city: '宁波市', district: '海曙区' },
  { code: '340104', province: '安徽省', city: '合肥市', district: '蜀山区' },
  { code: '370102', province: '山东省', city: '济南市', district: '历下区' },
  { code: '370202', province: '山东省', city: '青岛市', district: '市南区' },
  { code: '410105', province: '河南省', city: '郑州市', district: '金水区' },
  { code: '420106', province: '湖北省', city: '武汉市', district: '武昌区' },
  { code: '440104', province: '广东省', city: '广州市', district: '越秀区' },
  { code: '440106', province: '广东省', city: '广州市', district: '天河区' },
  { code: '440305', province: '广东省', city: '深圳市', district: '南山区' },
  { code: '510107', province: '四川省', city: '成都市', district: '武侯区' },
  { code: '650102', province: '新疆维吾尔自治区', city: '乌鲁木齐市', district: '天山区' },
  { code: '650103', province: '新疆维吾尔自治区', city: '乌鲁木齐市', district: '沙依巴克区' },
  { code: '653101', province: '新疆维吾尔自治区', city: '喀什地区', district: '喀什市' },
];

/** Indices of Xinjiang regions (birthplaces of Uyghur-name persons). */
export const XINJIANG_REGIONS: readonly number[] = REGIONS.flatMap((r, i) => (r.code.startsWith('65') ? [i] : []));

/** Region prefixes around each hospital (index = hospital number). */
const HOSPITAL_AREAS: readonly string[] = ['31', '3202', '1201'];
const NEAR: readonly (readonly number[])[] = HOSPITAL_AREAS.map((area) =>
  REGIONS.flatMap((r, i) => (r.code.startsWith(area) ? [i] : [])),
);
const FAR: readonly number[] = REGIONS.flatMap((r, i) => (r.code.startsWith('65') ? [] : [i]));

/** Weighted choice of a birthplace or home region: near the given hospital 65%, elsewhere 35%. */
export function drawRegionIndex(rng: Rng, hospital: number): number {
  const near = NEAR[hospital] ?? [];
  if (near.length > 0 && rng.chance(0.65)) return rng.pick(near);
  return rng.pick(FAR);
}

const STREETS = [
  '中山路',
  '人民路',
  '解放路',
  '建设路',
  '和平路',
  '长江路',
  '新华路',
  '文化路',
  '胜利路',
  '青年路',
  '北京路',
  '南京路',
  '延安路',
  '黄河路',
  '学府路',
  '光明街',
  '幸福街',
  '东风路',
  '朝阳路',
  '湖滨路',
];

/** A street address in one region: "江苏省无锡市梁溪区中山路128号3栋2单元501室". */
export interface Address {
  province: string;
  city: string;
  district: string;
  line: string;
  full: string;
}

/** Draws a street address inside a region. */
export function drawAddress(rng: Rng, region: Region): Address {
  const line = `${rng.pick(STREETS)}${rng.int(1, 999)}号${rng.int(1, 30)}栋${rng.int(1, 6)}单元${rng.int(1, 32)}0${rng.int(1, 6)}室`;
  const head = region.province === region.city ? region.province : region.province + region.city;
  return {
    province: region.province,
    city: region.city,
    district: region.district,
    line,
    full: head + region.district + line,
  };
}

const PHONE_PREFIXES = weightedTable(
  [
    '130',
    '131',
    '132',
    '133',
    '134',
    '135',
    '136',
    '137',
    '138',
    '139',
    '145',
    '147',
    '150',
    '151',
    '152',
    '153',
    '155',
    '156',
    '157',
    '158',
    '159',
    '166',
    '173',
    '175',
    '176',
    '177',
    '178',
    '180',
    '181',
    '182',
    '183',
    '184',
    '185',
    '186',
    '187',
    '188',
    '189',
    '191',
    '198',
    '199',
  ].map((p) => [p, p.startsWith('13') || p.startsWith('15') || p.startsWith('18') ? 3 : 1] as const),
);

/** A mainland mobile number, 1[3-9] followed by nine digits. */
export function drawPhone(rng: Rng): string {
  return rng.weighted(PHONE_PREFIXES) + String(rng.int(0, 99_999_999)).padStart(8, '0');
}
