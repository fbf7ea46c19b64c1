"""Chinese PHI recognizers on invented clinical sentences (synthetic people only)."""

from __future__ import annotations

import pytest

from medsage.privacy._analyzer import Analyzer
from medsage.privacy._recognizers_zh import RECOGNIZERS, valid_id_card

ANALYZER = Analyzer(RECOGNIZERS)

# (sentence, [(covered text, type), ...]); each covered text is found at its first occurrence.
POSITIVE: list[tuple[str, list[tuple[str, str]]]] = [
    # 入院记录
    (
        "患者张伟，男，65岁，因胸痛3天于2026年3月5日入住杭州市第一人民医院心内科3床。",
        [("张伟", "NAME"), ("2026年3月5日", "DATE"), ("杭州市第一人民医院", "FACILITY")],
    ),
    (
        "姓名：李秀英  性别：女  年龄：93岁  住院号：ZY20260117",
        [("李秀英", "NAME"), ("93岁", "AGE"), ("ZY20260117", "RECORD_ID")],
    ),
    (
        "患者王建国于2025年12月在浙江大学医学院附属第二医院行PCI术。",
        [("王建国", "NAME"), ("2025年12月", "DATE"), ("浙江大学医学院附属第二医院", "FACILITY")],
    ),
    (
        "病案号：00873521，入院日期：2026-03-05 14:30，出院日期：2026-03-18。",
        [("00873521", "RECORD_ID"), ("2026-03-05 14:30", "DATE"), ("2026-03-18", "DATE")],
    ),
    (
        "家住浙江省杭州市西湖区文三路123号3栋2单元501室，邮编310012。",
        [("浙江省杭州市西湖区文三路123号3栋2单元501室", "ADDRESS"), ("310012", "ADDRESS")],
    ),
    (
        "身份证号：330106198001011235，医保卡号：A12345678。",
        [("330106198001011235", "NATIONAL_ID"), ("A12345678", "RECORD_ID")],
    ),
    (
        "联系人：刘洋（患者之子），联系电话13812345678。",
        [("刘洋", "NAME"), ("13812345678", "PHONE")],
    ),
    ("患儿陈梓涵，男，5岁，因发热2天由其母赵丽陪同来诊。", [("陈梓涵", "NAME"), ("赵丽", "NAME")]),
    (
        "主治医师：周明  住院医师：吴晓燕  记录者：郑凯",
        [("周明", "NAME"), ("吴晓燕", "NAME"), ("郑凯", "NAME")],
    ),
    (
        "患者欧阳娜娜，女，92岁，家住上海市浦东新区张江镇。",
        [("欧阳娜娜", "NAME"), ("92岁", "AGE"), ("上海市浦东新区张江镇", "ADDRESS")],
    ),
    ("患者系浙江东阳人，现住阳光小区。", [("浙江东阳", "ADDRESS"), ("阳光小区", "ADDRESS")]),
    (
        "2020年曾于青山镇卫生院就诊，后转至华西医院。",
        [("2020年", "DATE"), ("青山镇卫生院", "FACILITY"), ("华西医院", "FACILITY")],
    ),
    # 出院小结
    (
        "出院小结：患者孙丽华于2026年1月8日入院，2026年1月18日出院。",
        [("孙丽华", "NAME"), ("2026年1月8日", "DATE"), ("2026年1月18日", "DATE")],
    ),
    (
        "出院后于3月12日至本院门诊复查，门诊号：MZ0098123。",
        [("3月12日", "DATE"), ("MZ0098123", "RECORD_ID")],
    ),
    (
        "转诊至北京市朝阳区社区卫生服务中心继续康复。",
        [("北京市朝阳区社区卫生服务中心", "FACILITY")],
    ),
    (
        "建议于广州市妇幼保健院产检，医师签名：黄志强。",
        [("广州市妇幼保健院", "FACILITY"), ("黄志强", "NAME")],
    ),
    ("上级医师李主任查房后指示继续抗感染治疗。", [("李", "NAME")]),
    (
        "经治医生：马丽  审核医师：何振华  2026.3.5",
        [("马丽", "NAME"), ("何振华", "NAME"), ("2026.3.5", "DATE")],
    ),
    # 门诊 / 护理记录
    (
        "门诊病历 就诊日期：2026/01/18 就诊卡号：8800123456",
        [("2026/01/18", "DATE"), ("8800123456", "RECORD_ID")],
    ),
    ("责任护士：林小红，14:00巡视病房，患者安静入睡。", [("林小红", "NAME")]),
    ("护士小王已通知家属。", [("小王", "NAME")]),
    ("夜班护士张敏协助患者翻身，家属老李陪护。", [("张敏", "NAME"), ("老李", "NAME")]),
    ("王医生嘱低盐低脂饮食，张先生表示理解。", [("王", "NAME"), ("张", "NAME")]),
    ("由赵国强主任主刀完成手术。", [("赵国强", "NAME")]),
    ("患者之女徐静电话：139-1234-5678。", [("徐静", "NAME"), ("139-1234-5678", "PHONE")]),
    ("其夫韩磊，联系电话 0571-8765 4321。", [("韩磊", "NAME"), ("0571-8765 4321", "PHONE")]),
    (
        "办公电话(020)12345678，手机+86 138 1234 5678。",
        [("(020)12345678", "PHONE"), ("+86 138 1234 5678", "PHONE")],
    ),
    ("座机：010-12345678", [("010-12345678", "PHONE")]),
    # 在线问诊 / 随访电话
    (
        "患者：医生您好，我姓杨，QQ：123456789，微信号：yang_li88。",
        [("123456789", "ACCOUNT"), ("yang_li88", "ACCOUNT")],
    ),
    (
        "随访电话：2026年3月20日电话随访患者家属周杰伦，诉恢复良好。",
        [("2026年3月20日", "DATE"), ("周杰伦", "NAME")],
    ),
    (
        "患者驾驶车牌为浙A12345的车辆发生车祸，另一车辆京B·D2345。",
        [("浙A12345", "VEHICLE"), ("京B·D2345", "VEHICLE")],
    ),
    (
        "二〇二六年三月五日签字，家属签名：宋佳。",
        [("二〇二六年三月五日", "DATE"), ("宋佳", "NAME")],
    ),
    (
        "老人九十五岁，生活不能自理，住在杭州市上城区。",
        [("九十五岁", "AGE"), ("杭州市上城区", "ADDRESS")],
    ),
    ("患者诸葛明因腹痛来我院急诊。", [("诸葛明", "NAME")]),
    ("籍贯：湖南长沙，职业：教师。", [("湖南长沙", "ADDRESS")]),
    (
        "现住址：广东省深圳市南山区科技园路8号华润城5栋1201室",
        [("广东省深圳市南山区科技园路8号华润城5栋1201室", "ADDRESS")],
    ),
    ("于3月5日在江苏省人民医院行胃镜检查。", [("3月5日", "DATE"), ("江苏省人民医院", "FACILITY")]),
    (
        "户籍地址：河南省周口市太康县王集乡李庄村3组",
        [("河南省周口市太康县王集乡李庄村3组", "ADDRESS")],
    ),
    ("2026年3月5日至8日住院治疗。", [("2026年3月5日至8日", "DATE")]),
    ("曾在和睦社区诊所输液。", [("和睦社区诊所", "FACILITY")]),
    ("紧急联系人：司马光明，电话：87654321。", [("司马光明", "NAME"), ("87654321", "PHONE")]),
    (
        "病理号：P2026-00123，影像号：CT20260305001。",
        [("P2026-00123", "RECORD_ID"), ("CT20260305001", "RECORD_ID")],
    ),
    (
        "患者蒋文，女，年龄：96，于2026年2月入院。",
        [("蒋文", "NAME"), ("96", "AGE"), ("2026年2月", "DATE")],
    ),
    ("从北京来我院就诊。", [("北京", "ADDRESS")]),
    (
        "患者：刘德华，男，45岁。王教授查房，陈院长会诊。",
        [("刘德华", "NAME"), ("王", "NAME"), ("陈", "NAME")],
    ),
    (
        "2026年03月05日，26年3月5日，2026-3-5，03/05/2026，2026年3月上旬。",
        [
            ("2026年03月05日", "DATE"),
            ("26年3月5日", "DATE"),
            ("2026-3-5", "DATE"),
            ("03/05/2026", "DATE"),
            ("2026年3月上旬", "DATE"),
        ],
    ),
    (
        "2026年3月5日上午9时30分入院，3月8日下午2点出院。",
        [("2026年3月5日上午9时30分", "DATE"), ("3月8日下午2点", "DATE")],
    ),
    (
        "0571 87654321，021-6234 5678，400-820-1234。",
        [("0571 87654321", "PHONE"), ("021-6234 5678", "PHONE"), ("400-820-1234", "PHONE")],
    ),
    ("身份证：330106 19800101 1235", [("330106 19800101 1235", "NATIONAL_ID")]),
    (
        "成都市武侯区人民南路四段12号，北京市海淀区中关村大街1号。",
        [("成都市武侯区人民南路四段12号", "ADDRESS"), ("北京市海淀区中关村大街1号", "ADDRESS")],
    ),
    (
        "转至上海交通大学医学院附属瑞金医院、北京大学第三医院、301医院。",
        [
            ("上海交通大学医学院附属瑞金医院", "FACILITY"),
            ("北京大学第三医院", "FACILITY"),
            ("301医院", "FACILITY"),
        ],
    ),
    ("家属（女儿）刘芳签字。陪同人：赵四。", [("刘芳", "NAME"), ("赵四", "NAME")]),
    ("患者金星诉头晕，患者文静今日复查。", [("金星", "NAME"), ("文静", "NAME")]),
    (
        "主刀医生：孙立平，助手：李建，麻醉师：周丽。",
        [("孙立平", "NAME"), ("李建", "NAME"), ("周丽", "NAME")],
    ),
    (
        "患者长期居住在江西省赣州市于都县罗坳镇大桥村。",
        [("江西省赣州市于都县罗坳镇大桥村", "ADDRESS")],
    ),
    ("患者诉其丈夫黄海于2026年1月去世。", [("黄海", "NAME"), ("2026年1月", "DATE")]),
    (
        "月经史：13岁初潮，经期5-7天，周期28-30天，末次月经2026年2月10日。",
        [("2026年2月10日", "DATE")],
    ),
    # A record opening with its patient: sex, age, a record number or a bed after the name
    ("赵建国，男，67岁，因咳嗽入院。", [("赵建国", "NAME")]),
    ("出院记录：黄丽华，九十一岁，因骨折入院。", [("黄丽华", "NAME"), ("九十一岁", "AGE")]),
    ("22床 曹玉珍，91岁，肺炎。", [("曹玉珍", "NAME"), ("91岁", "AGE")]),
    ("何晓东　12床　住院号 0771234", [("何晓东", "NAME"), ("0771234", "RECORD_ID")]),
    ("患者：买买提江，男，45岁", [("买买提江", "NAME")]),
    ("陶然通过电话复诊，血压平稳。", [("陶然", "NAME")]),
    ("复诊记录：严冬服用二甲双胍3月。", [("严冬", "NAME")]),
    # Self-introductions, kinship words, roles, department lists, colon labels
    ("你好，我叫欧阳晨，我是周敏的朋友。", [("欧阳晨", "NAME"), ("周敏", "NAME")]),
    ("我奶奶章桂英血糖高，其外孙女沈佳琪陪同。", [("章桂英", "NAME"), ("沈佳琪", "NAME")]),
    ("丈夫阿苏拉哈，致电范志强本人。", [("阿苏拉哈", "NAME"), ("范志强", "NAME")]),
    ("父亲刘志刚，肇事司机韦强已离开。", [("刘志刚", "NAME"), ("韦强", "NAME")]),
    ("参会：心内科许明、呼吸科万晓敏。", [("许明", "NAME"), ("万晓敏", "NAME")]),
    (
        "检验者：钱伟　审核：葛晓峰　操作人：郝建",
        [("钱伟", "NAME"), ("葛晓峰", "NAME"), ("郝建", "NAME")],
    ),
    ("交班护士：柳青　梁副主任医师查房。", [("柳青", "NAME"), ("梁", "NAME")]),
    ("患者：好的，谢谢方医生。开单医生：吴凡", [("方", "NAME"), ("吴凡", "NAME")]),
    # Report numbers, handles, university hospitals, full addresses
    (
        "检验单号：JY202603150083，体检编号：TJ26011500217",
        [("JY202603150083", "RECORD_ID"), ("TJ26011500217", "RECORD_ID")],
    ),
    ("能加个微信吗？我的是 li_hua_0823。", [("li_hua_0823", "ACCOUNT")]),
    ("转至中山大学附属第一医院。", [("中山大学附属第一医院", "FACILITY")]),
    (
        "现住址：郑州市金水区花园路 85 号 2 号楼 3 单元 401",
        [("郑州市金水区花园路 85 号 2 号楼 3 单元 401", "ADDRESS")],
    ),
    (
        "长沙市岳麓区麓山路与桃子湖路交叉口发生车祸。",
        [("长沙市岳麓区麓山路与桃子湖路交叉口", "ADDRESS")],
    ),
]

# Clinical look-alikes that must produce no span.
NEGATIVE: list[str] = [
    "患者高血压病史10年，糖尿病5年。",
    "服用万古霉素1g q12h，林可霉素0.6g bid。",
    "血压160/100mmHg，体温38.5℃，脉搏88次/分。",
    "月经 5/28天，末次月经不详。",
    "帕金森病、阿尔茨海默病、克罗恩病、桥本甲状腺炎、川崎病、唐氏综合征均需鉴别。",
    "格林-巴利综合征、库欣综合征、艾迪生病病史。",
    "患者白细胞12.5×10^9/L，黄疸指数升高。",
    "治疗方案按常规执行，周围血管搏动可。",
    "于是患者和家属向医生咨询，时有胸闷，从未晕厥。",
    "石膏固定，金黄色葡萄球菌感染。",
    "心内科3床，急诊科会诊。",
    "患者咳嗽3天，发热2周，半年来体重下降，病程10年。",
    "甘露醇125ml ivgtt q8h，阿司匹林100mg qd。",
    "患者89岁，85岁时曾骨折。",
    "术后3月复查，3个月后随访。",
    "患者神志清，精神可，饮食睡眠尚可，大小便正常。",
    "患者安静入睡，生命体征平稳。",
    "当地县医院就诊，后转上级医院，我院门诊随访。",
    "医生：您好，请问哪里不舒服？患者：我头疼三天了。",
    "医生：明天来复查血常规。患者：好的，谢谢医生。",
    "给予镇痛镇静治疗，社区获得性肺炎。",
    "尿路感染，消化道出血，呼吸道症状。",
    "左心室射血分数55%，二尖瓣反流。",
    "血糖7.8mmol/L，HbA1c 7.2%，肌酐88μmol/L。",
    "患者双下肢水肿，全身皮肤黏膜无黄染。",
    "长春新碱2mg静推，长春西汀注射液。",
    "Apgar评分9分，格拉斯哥昏迷评分15分。",
    "家属表示理解，签字同意手术。",
    "腹软，无压痛及反跳痛，墨菲征阴性，麦氏点无压痛。",
    "予头孢曲松2g ivgtt qd抗感染，奥美拉唑40mg护胃治疗。",
    "辅助检查：WBC 12.3×10^9/L，N 85%，CRP 56mg/L，PCT 0.5ng/ml。",
    "患者于术后第3天下床活动，术后10天拆线。",
    "家族史：父亲有高血压病史，母亲患糖尿病。",
    "婚育史：25岁结婚，育有1子1女，配偶体健。",
    "患者血压波动于130-150/80-95mmHg之间。",
    "诊断：1.冠状动脉粥样硬化性心脏病 2.高血压病3级（极高危） 3.2型糖尿病",
    "查体：T 36.8℃，P 88次/分，R 20次/分，BP 135/85mmHg。",
    "医生：建议到医院神经内科就诊，完善头颅MRI检查。",
    "病区：心内科二病区，床号：12床。",
    "患者周身乏力，时有头晕，常于晨起时明显。明日复查血常规。",
    "患者，男，65岁，因胸痛入院。",
    "父亲体健，母亲患高血压，丈夫陪同来诊。",
    "我是患者本人，本人同意手术，审核通过。",
    "记录：患者神志清楚。检验：血常规正常。",
    "心内科会诊，神经内科随访，转入骨科治疗。",
    "出院小结：高血压，糖尿病。门诊记录：头痛，无发热。",
    "产妇，女，G1P0。12床 患者发热。",
    "继续服用阿司匹林，定期复诊。",
    "互联网医院复诊，某大学附属医院住院。",
    "现居农村，务农。",
]


def _expected(text: str, items: list[tuple[str, str]]) -> set[tuple[str, str]]:
    for covered, _ in items:
        assert covered in text, covered
    return set(items)


def _found(text: str) -> set[tuple[str, str]]:
    return {(text[s.start : s.end], s.type) for s in ANALYZER.analyze(text, lang="zh")}


@pytest.mark.parametrize(("text", "items"), POSITIVE, ids=[t[:12] for t, _ in POSITIVE])
def test_when_clinical_sentence_then_exact_phi_spans(
    text: str, items: list[tuple[str, str]]
) -> None:
    assert _found(text) == _expected(text, items)


@pytest.mark.parametrize("text", NEGATIVE, ids=[t[:12] for t in NEGATIVE])
def test_when_clinical_lookalike_then_no_span(text: str) -> None:
    assert _found(text) == set()


def test_when_whole_dev_set_then_recall_and_precision_high() -> None:
    gold = found = hit = 0
    for text, items in POSITIVE:
        expected = _expected(text, items)
        got = _found(text)
        gold += len(expected)
        found += len(got)
        hit += len(expected & got)
    for text in NEGATIVE:
        found += len(_found(text))
    assert hit / gold >= 0.98
    assert hit / found >= 0.95


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("330106198001011235", True),
        ("11010519491231002X", True),
        ("11010519491231002x", True),
        ("330106198001011234", False),  # wrong check digit
        ("510107199002290031", False),  # 1990-02-29 does not exist
        ("3301061980010112", False),  # too short
    ],
)
def test_when_id_card_checked_then_checksum_and_birth_date_decide(number: str, valid: bool) -> None:
    assert valid_id_card(number) is valid


def test_when_id_card_checksum_fails_then_reported_only_after_label() -> None:
    labelled = ANALYZER.analyze("身份证号：330106198001011234", lang="zh")
    bare = ANALYZER.analyze("编号330106198001011234", lang="zh")
    assert [(s.type, s.score) for s in labelled] == [("NATIONAL_ID", 0.6)]
    assert bare == []


def test_when_full_width_digits_then_offsets_match_original() -> None:
    text = "电话：１３８１２３４５６７８"
    spans = ANALYZER.analyze(text, lang="zh")
    assert [(text[s.start : s.end], s.type) for s in spans] == [("１３８１２３４５６７８", "PHONE")]


def test_when_recognizers_listed_then_each_is_chinese_with_a_distinct_name() -> None:
    names = [r.name for r in RECOGNIZERS]
    assert len(names) == len(set(names))
    assert all(r.languages == frozenset({"zh"}) for r in RECOGNIZERS)
    assert all(name.startswith("zh_") for name in names)
