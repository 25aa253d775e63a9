"""Everyday search phrasings for the demo policy Q&A (``portal/qa/demo_content.py``).

Each pair is what a resident might type, in their own words, and the slug of the entry that should
come first or at least among the top three results. The phrasings deliberately avoid the wording of
the questions: abbreviations (个账, 共济, 异地备案, 医保码), spoken forms (能报多少, 咋办, 手机丢了)
and short keyword queries. Data only; the search tests import it.
"""

PHRASINGS: list[tuple[str, str]] = [
    # residents-outpatient
    ("居民医保门诊能报几成", "resident-outpatient-rate"),
    ("新农合看门诊有门槛费吗", "resident-outpatient-rate"),
    ("新农合 看门诊 一年最多报多少", "resident-outpatient-cap"),  # 新农合: the old name residents still use
    ("村卫生室看病能报销吗", "resident-outpatient-where"),
    ("居民医保 药房买药能报吗", "resident-outpatient-where"),  # residents: retail pharmacies are generally not covered
    ("居民医保在外地看门诊咋办", "resident-outpatient-offsite"),
    ("马鞍山 居民医保 门诊限额", "resident-outpatient-other-region"),
    ("门诊统筹没用完能留到明年吗", "resident-outpatient-quota-personal"),
    # employees-outpatient
    ("退休了门诊一年能报多少", "employee-outpatient-cap"),
    ("上班的 门诊 起付线多少", "employee-outpatient-deductible"),
    ("职工 门槛费 二级医院", "employee-outpatient-deductible"),
    ("在职 门诊统筹 报几成", "employee-outpatient-rate"),
    ("退休职工门诊报销比例", "retiree-outpatient-rate"),
    ("社区看病和三级医院 起付线是不是一起算", "employee-deductible-accumulation"),
    ("职工医保 药房买药 能走统筹吗", "employee-outpatient-pharmacy"),
    ("体检和打疫苗能用门诊统筹报吗", "employee-outpatient-exclusions"),
    ("住院期间的门诊费用能报吗", "employee-outpatient-exclusions"),
    ("退休了住到外地 门诊能报吗", "employee-outpatient-offsite"),  # relocated retiree, not the retirees' cap
    ("马鞍山职工门诊一年最多报多少", "employee-outpatient-other-region"),
    # family-sharing
    ("个账能给爸妈用吗", "family-sharing-who"),  # 个账, 爸妈: synonym-group terms
    ("共济最多绑几个人", "family-sharing-limit"),
    ("家人在外地参保能共济吗", "family-sharing-limit"),
    ("共济了先扣谁的钱", "family-sharing-order"),
    ("爸妈是居民医保 看门诊自己掏的钱能用我的个账付吗", "family-sharing-resident-copay"),
    ("家庭共济怎么绑定 要什么材料", "family-sharing-how"),
    ("门诊统筹额度能共享给家人吗", "family-sharing-pooling-personal"),
    # offsite-care
    ("异地备案有哪几种", "offsite-filing-categories"),
    ("异地备案 手机上能办吗 多久生效", "offsite-filing-online"),
    ("告知承诺制是啥", "offsite-commitment"),
    ("备案承诺写假的会怎样", "offsite-false-commitment"),
    ("在外地看病 急诊 没备案能报吗", "offsite-emergency"),
    ("临时外出看病 门诊统筹能报吗", "offsite-temporary-trip"),
    ("异地备案以后有啥变化", "offsite-filing-effect"),
    # e-voucher
    ("医保码怎么开通", "evoucher-activate"),
    ("医保码能截图吗", "evoucher-screenshot"),
    ("老人没有智能手机 医保码咋办", "evoucher-family"),
    ("帮孩子出示医保码", "evoucher-family"),
    ("手机丢了医保码咋办", "evoucher-lost-phone"),
    ("医保码扫不出来怎么办", "evoucher-scan-fails"),
    ("个账还剩多少钱怎么查", "evoucher-balance"),
    ("电子医保卡有啥用", "evoucher-what"),
    # medical-assistance
    ("低保 报销比例", "assistance-extremely-poor-dibao"),  # keyword query
    ("特困户看病救助多少", "assistance-extremely-poor-dibao"),
    ("监测人口 救助 门槛费", "assistance-low-income"),
    ("返贫 医疗救助 比例", "assistance-low-income"),
    ("医疗救助一年最多给多少", "assistance-cap"),
    ("哪些人能申请医疗救助", "assistance-who"),
    ("低保户交医保有补贴吗", "assistance-contribution-subsidy"),
    ("居民医保一年交多少钱", "resident-contribution-2022"),
    # negotiated-drugs
    ("双通道 起付线", "dual-channel-deductible"),
    ("谈判药报几成", "dual-channel-rate"),
    ("国谈药一年最多报多少", "dual-channel-cap"),
    ("双通道是啥意思", "dual-channel-what"),
    ("谈判药 定医师 定药店", "dual-channel-three-fixed"),
    ("谈判药去药店怎么买", "dual-channel-how-to-buy"),
    # payments
    ("网上看病能用医保吗", "internet-hospital-how"),
    ("线上问诊 个账不够 剩下的怎么付", "internet-hospital-bill"),  # fund / personal account / cash split
    ("哪些互联网医院能刷医保", "internet-hospital-which"),
    ("慢病能在网上复诊报销吗", "internet-hospital-chronic"),
    ("退款退到哪", "refund-how"),
    ("药店买药怎么用医保码结算", "pharmacy-settlement"),
    ("药盒上的码为啥要扫", "traceability-code"),
    ("规定病种处方能用几个月", "specified-disease-prescription"),
    ("慢特病 串换药 后果", "specified-disease-violation"),
    ("长处方最多开多久", "long-prescription"),
    ("举报骗保有奖励吗 能给多少", "fraud-report-reward"),
    ("结算时提示审核不通过", "smart-audit"),
]
