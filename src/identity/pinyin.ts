/**
 * A toneless pinyin key for Chinese names, so that a homophone typo (伟/玮, 王/汪, 静/婧) still agrees at the
 * "sounds the same" comparison level. No pinyin package is among the chosen dependencies, so this is a
 * compact table (syllable → characters) covering the surnames and given-name characters of the demo
 * consortium and their common homophones; a character outside the table keys as itself, so an unknown name
 * still agrees with itself and only loses the homophone tolerance. Pinyin is ambiguous (多音字) and only a weak
 * signal: the key is one comparison level of Fellegi–Sunter, never a link on its own.
 */

const TABLE_TEXT =
  'a:阿 ai:艾 bai:白拜 bin:斌彬 bing:兵 bo:波博 bu:不布 cai:蔡 cao:曹 chao:超 chen:陈晨辰 cheng:程成诚 chi:迟 chun:春 cui:崔 dai:戴 ' +
  'dan:丹 deng:邓 di:迪 ding:丁 dong:董东冬 du:杜都 duan:段 er:尔 fan:范帆凡 fang:方芳 fei:飞菲 feng:冯峰凤锋 fu:付甫 gang:刚钢 gao:高 ' +
  'ge:葛 gong:龚公 gu:顾古 guan:官 guo:郭国 hai:海 han:韩 hao:郝浩昊 he:何贺合 hong:红虹 hou:侯 hu:胡狐 hua:华 huang:黄皇 hui:辉慧晖惠 ' +
  'jia:贾嘉佳 jian:健建 jiang:蒋姜江 jie:杰洁 jin:金 jing:静晶婧菁 juan:娟鹃 jun:军俊君骏 kai:凯铠 ken:肯 la:拉 lan:兰岚 lei:雷磊蕾垒 ' +
  'li:李黎立丽莉力 liang:梁亮 liao:廖 lin:林琳 ling:令玲铃 liu:刘 long:龙隆 lu:卢陆璐露 luo:罗 lv:吕 ma:马 mai:买麦 man:曼 mao:毛 mei:梅玫 ' +
  'meng:孟梦 mi:米 min:敏 ming:明鸣 mo:莫 mu:慕木 na:娜纳 nan:楠南 ning:宁 nu:努 ou:欧 pa:帕 pan:潘 peng:彭鹏朋 ping:平萍 qian:钱倩茜 ' +
  'qiang:强 qin:秦覃琴芹 qiu:邱 re:热 ren:任 rong:容蓉荣 rui:睿瑞 shang:上 shao:邵 shen:沈 shi:石史 shou:守 si:司思丝 song:宋 su:苏素 ' +
  'sun:孙 tan:谭 tang:唐 tao:陶涛韬 ti:提 tian:田 ting:婷亭 tu:徒吐 wan:万 wang:王汪 wei:魏韦伟薇玮微 wen:文雯 wu:吴武吾 xia:夏霞侠 xiang:翔祥 ' +
  'xiao:肖晓小 xie:谢 xin:鑫欣新 xiong:熊 xiu:秀绣 xu:徐许旭煦 xue:薛雪 xun:逊 yan:闫严艳燕妍研 yang:阳杨洋扬 yao:姚瑶遥 ye:叶 yi:毅怡依义艺仪 yin:尹 ' +
  'ying:英颖瑛影 yong:勇永 yu:于余尉宇雨玉 yuan:袁 yue:月悦 yun:云芸 zai:再 ze:泽择 zeng:曾 zhang:张长章 zhao:赵 zhen:振震 zheng:郑 zhi:志智 ' +
  'zhong:钟 zhou:周 zhu:诸朱 zou:邹';

/** Character → toneless pinyin syllable (ü written v). */
export const PINYIN: ReadonlyMap<string, string> = new Map(
  TABLE_TEXT.split(' ').flatMap((entry) => {
    const [syllable, chars] = entry.split(':') as [string, string];
    return [...chars].map((c) => [c, syllable] as const);
  }),
);

/** The pinyin key of a normalized name: syllables joined by '-', unknown characters as themselves, dots dropped. */
export function pinyinKey(name: string, table: ReadonlyMap<string, string> = PINYIN): string {
  const parts: string[] = [];
  for (const c of name) {
    if (c === '·') continue;
    parts.push(table.get(c) ?? c);
  }
  return parts.join('-');
}
