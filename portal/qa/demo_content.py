"""Demo policy Q&A for the resident portal: synonym groups and question-and-answer entries.

Written for the demo in the voice of a city medical-insurance bureau answering residents. The figures
follow the published regional bulletins: 340600 (淮北市) outpatient rules in force from 2023-10-01,
340500 (马鞍山市) outpatient caps, and dual-channel and medical-assistance figures published elsewhere,
which apply to every region here and say in their text that local figures may differ.

``SYNONYMS``: each tuple is one group of words residents use for the same thing; the first term is the
preferred one. ``ENTRIES``: one dict per question, grouped by topic; ``answer`` is HTML limited to
<p>, <ul>, <ol>, <li>, <b> and <i>; ``regions`` empty means every region; ``related`` names other
entries by slug. Plain literals only, so the module can be read without Django.
"""

SYNONYMS: list[tuple[str, ...]] = [
    ("异地就医备案", "异地备案", "异地就医登记", "异地登记", "异地就医报备"),
    ("家庭共济", "共济", "个人账户共济", "家庭账户共济", "亲属共济", "家庭共享"),
    ("个人账户", "个账", "医保个账", "个人医保账户", "医保卡里的钱", "医保余额"),
    ("普通门诊", "门诊统筹", "普通门诊统筹", "看门诊", "门诊报销"),
    ("医保电子凭证", "医保码", "电子医保卡", "医保电子码", "电子凭证", "医保二维码", "医保卡二维码"),
    ("报销", "报多少", "能报", "可以报", "给报", "报不报"),
    ("年度", "每年", "一年", "一年内", "全年", "一年到头"),
    ("起付线", "起付标准", "门槛费", "起付金额", "免赔额"),
    ("封顶线", "最高支付限额", "年度限额", "最多报", "最高报", "封顶", "限额"),
    ("退休人员", "退休", "退休职工", "退休老人", "退了休"),
    ("在职职工", "在职", "上班", "在职人员", "上班族"),
    ("城乡居民医保", "居民医保", "城乡居民", "新农合", "农村合作医疗", "农合"),
    ("职工医保", "职工", "职工基本医疗保险", "单位交的医保"),
    ("定点药店", "药店", "药房", "零售药店", "定点零售药店", "大药房"),
    ("双通道", "谈判药", "国谈药", "谈判药品", "双通道药品"),
    ("低保对象", "低保", "最低生活保障", "低保户"),
    ("特困人员", "特困", "特困供养人员", "五保户"),
    ("互联网医院", "网上看病", "线上问诊", "网上问诊", "在线问诊", "手机看病", "线上看病"),
    ("备案", "登记", "报备"),
    ("医疗救助", "救助", "医疗补助", "困难救助"),
    ("药品追溯码", "追溯码", "溯源码", "药品码", "药盒上的码"),
    ("门诊规定病种", "规定病种", "门诊慢特病", "慢特病", "门慢", "慢病"),
    ("基层医疗机构", "基层医院", "社区医院", "卫生院", "村卫生室", "社区卫生服务中心", "村医"),
    ("异地就医", "外地看病", "在外地看病", "异地看病", "外省看病", "跨省就医"),
    ("父母", "爸妈", "爸爸妈妈", "老爸老妈"),
    ("欺诈骗保", "骗保", "骗取医保基金", "套保", "套取医保"),
    ("报销比例", "支付比例", "报几成", "报百分之几", "报销多少比例"),
    ("退费", "退款", "退钱", "钱退回", "原路退回"),
    ("激活", "开通", "申领", "领取"),
    ("缴费", "交钱", "交多少", "交医保", "缴多少", "交费"),
    ("余额", "还剩多少", "剩多少", "剩下多少", "还有多少钱"),
    ("用途", "有啥用", "有什么用", "干什么用", "能干什么"),
    ("多长时间", "多久", "多长期限", "多少天"),
    ("长期处方", "长处方", "慢病长处方"),
    ("慢性病", "慢病", "慢性疾病", "老毛病"),
    ("复诊", "网上复诊", "线上复诊", "复查开药"),
    ("购药", "买药", "拿药", "配药"),
]

ENTRIES: list[dict] = [
    # residents-outpatient: 居民普通门诊
    {
        "slug": "resident-outpatient-rate",
        "topic": "residents-outpatient",
        "question": "城乡居民医保普通门诊的报销比例是多少？是否设有起付线？",
        "answer": (
            "<p>自2023年10月1日起，本市城乡居民在市内基层定点医疗机构看普通门诊，<b>不设起付线</b>，"
            "也不限定单次就诊的支付金额。</p>"
            "<p>政策范围内的门诊费用，由居民医保统筹基金报销<b>60%</b>，其余部分由个人负担。</p>"
            "<p>需要注意的是，全年统筹基金支付总额有上限，每人每年最多150元，其中包含一般诊疗费。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 城乡居民普通门诊统筹政策问答（2023年10月）",
        "related": ["resident-outpatient-cap", "resident-outpatient-where"],
    },
    {
        "slug": "resident-outpatient-cap",
        "topic": "residents-outpatient",
        "question": "城乡居民医保普通门诊统筹一年最多支付多少钱？",
        "answer": (
            "<p>本市城乡居民普通门诊统筹实行年度限额管理，每人每个自然年度由统筹基金最多支付<b>150元</b>。</p>"
            "<p>这150元已经包含一般诊疗费，不另外计算。达到限额后，当年再发生的普通门诊费用需要由个人负担。</p>"
            "<p>年度限额只供本人使用，当年用不完的部分不会转入下一年，也不能给家人使用。"
            "以上为本市2023年10月1日起执行的规定。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 城乡居民普通门诊统筹政策问答（2023年10月）",
        "related": ["resident-outpatient-rate", "resident-outpatient-quota-personal"],
    },
    {
        "slug": "resident-outpatient-where",
        "topic": "residents-outpatient",
        "question": "城乡居民在哪些医疗机构看普通门诊可以报销？在零售药店购药能否报销？",
        "answer": (
            "<p>城乡居民普通门诊统筹只能在本市<b>基层定点医疗机构</b>使用，主要包括：</p><ul><li>乡镇卫生院；</li>"
            "<li>社区卫生服务中心；</li><li>村卫生室。</li>"
            "</ul><p>在二级及以上医院看普通门诊，不享受居民门诊统筹待遇。在零售药店自行购药，"
            "一般也不纳入居民普通门诊统筹报销范围。</p><p>就诊前可以先向医疗机构确认其是否为医保定点单位。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 城乡居民普通门诊统筹政策问答（2023年10月）",
        "related": ["resident-outpatient-rate", "resident-outpatient-offsite"],
    },
    {
        "slug": "resident-outpatient-offsite",
        "topic": "residents-outpatient",
        "question": "城乡居民长期在外地居住，看普通门诊能否报销？",
        "answer": (
            "<p>居民普通门诊统筹原则上只在本市基层定点医疗机构享受。</p>"
            "<p>如果长期在外地生活，需要先办理<b>异地长期居住备案</b>。备案后，在备案地的定点医疗机构看普通门诊，"
            "可以按规定享受居民门诊统筹待遇。</p>"
            "<p>没有办理长期居住备案，只是临时外出期间发生的普通门诊费用，不能纳入居民门诊统筹报销。"
            "以上为本市2023年10月1日起执行的规定。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 城乡居民普通门诊统筹政策问答（2023年10月）",
        "related": ["offsite-filing-categories", "offsite-temporary-trip", "resident-outpatient-where"],
    },
    {
        "slug": "resident-outpatient-other-region",
        "topic": "residents-outpatient",
        "question": "马鞍山市城乡居民普通门诊统筹的年度支付限额是多少？",
        "answer": (
            "<p>普通门诊保障的具体标准由各统筹地区自行确定，不同城市之间并不统一。</p>"
            "<p>按马鞍山市公布的政策，城乡居民普通门诊统筹每人每年最高支付<b>330元</b>。</p>"
            "<p>起付标准、支付比例和可就诊的医疗机构范围，请以马鞍山市医保部门发布的最新文件为准。"
            "在其他城市参保的居民，请查询本地规定。</p>"
        ),
        "regions": ["340500"],
        "effective_from": None,
        "effective_to": None,
        "source": "马鞍山市医疗保障局 门诊共济保障机制政策问答",
        "related": ["employee-outpatient-other-region", "resident-outpatient-cap"],
    },
    {
        "slug": "resident-outpatient-quota-personal",
        "topic": "residents-outpatient",
        "question": "城乡居民门诊统筹当年未用完的额度，能否结转到下一年或转给家人使用？",
        "answer": (
            "<p>不能。门诊统筹待遇属于参保人本人，按年度享受：</p><ul>"
            "<li>当年没有用完的额度，年底自动清零，不结转到下一年；</li>"
            "<li>不能转让给配偶、父母、子女等其他人使用；</li><li>也不能通过家庭共济与他人共享。</li>"
            "</ul><p>家庭共济共享的是职工医保个人账户里的钱，与门诊统筹额度是两回事。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "城乡居民基本医疗保险门诊保障政策问答",
        "related": ["family-sharing-pooling-personal", "resident-outpatient-cap"],
    },
    # employees-outpatient: 职工门诊统筹
    {
        "slug": "employee-outpatient-cap",
        "topic": "employees-outpatient",
        "question": "职工医保门诊统筹一年最多能报销多少钱？",
        "answer": (
            "<p>以下为本市自2023年10月1日起执行的职工门诊统筹政策。</p>"
            "<p>一个自然年度内，统筹基金支付的门诊费用设有最高支付限额：</p><ul><li>在职职工：<b>2000元</b>；</li>"
            "<li>退休人员：<b>3000元</b>。</li>"
            "</ul><p>年度限额只能本人使用，当年没有用完的部分不结转到下一年，也不能转给家人。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["employee-outpatient-deductible", "retiree-outpatient-rate"],
    },
    {
        "slug": "employee-outpatient-deductible",
        "topic": "employees-outpatient",
        "question": "职工医保门诊统筹的年度起付标准是多少？",
        "answer": (
            "<p>自2023年10月1日起，本市职工门诊统筹按年度设置起付标准，按就诊医疗机构的级别区分：</p><ul>"
            "<li>一级及未定级定点医疗机构：每年<b>200元</b>；</li><li>二级、三级定点医疗机构：每年<b>400元</b>。</li>"
            "</ul><p>在职职工和退休人员的起付标准相同。起付标准在一个年度内累计计算，不是每次看病都要重新扣一次。"
            "例如在社区卫生服务中心看病，年度内累计满200元后开始报销；在二级、三级医院看病，累计满400元后开始报销。"
            "</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["employee-deductible-accumulation", "employee-outpatient-rate"],
    },
    {
        "slug": "employee-outpatient-rate",
        "topic": "employees-outpatient",
        "question": "职工门诊统筹起付标准以上的费用，报销比例是多少？",
        "answer": (
            "<p>按本市自2023年10月1日起执行的规定，年度起付标准以上、最高支付限额以下的政策范围内门诊费用，"
            "统筹基金按以下比例报销：</p><ul><li>一级及未定级定点医疗机构：<b>60%</b>；</li>"
            "<li>二级、三级定点医疗机构：<b>50%</b>。</li>"
            "</ul><p>以上为在职职工的比例，退休人员在此基础上再提高10个百分点。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["retiree-outpatient-rate", "employee-outpatient-deductible", "employee-outpatient-cap"],
    },
    {
        "slug": "retiree-outpatient-rate",
        "topic": "employees-outpatient",
        "question": "退休人员的职工门诊统筹待遇与在职职工有什么不同？",
        "answer": (
            "<p>自2023年10月1日起，本市退休人员的门诊统筹待遇在两个方面高于在职职工：</p><ul>"
            "<li>报销比例提高10个百分点：一级及未定级医疗机构为<b>70%</b>，二级、三级医疗机构为<b>60%</b>；</li>"
            "<li>年度最高支付限额为<b>3000元</b>，在职职工为2000元。</li>"
            "</ul><p>起付标准与在职职工相同：一级及未定级每年200元，二级、三级每年400元。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["employee-outpatient-cap", "employee-outpatient-rate"],
    },
    {
        "slug": "employee-deductible-accumulation",
        "topic": "employees-outpatient",
        "question": "在不同级别医疗机构就诊，职工门诊统筹的起付标准分开计算还是累计计算？",
        "answer": (
            "<p>累计计算。一个年度内在各级定点医疗机构发生的政策范围内门诊费用，都计入起付标准的累计金额：</p><ul>"
            "<li>累计达到<b>200元</b>后，到一级及未定级医疗机构就诊即可按比例报销；</li>"
            "<li>累计达到<b>400元</b>后，到二级、三级医疗机构就诊才能按比例报销。</li>"
            "</ul><p>举例：今年在社区卫生服务中心和大医院看门诊已累计花费200元，之后在社区看病就可以报销；"
            "若去三级医院，需要累计满400元后才开始报销。以上为本市2023年10月1日起执行的规定。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["employee-outpatient-deductible", "employee-outpatient-pharmacy"],
    },
    {
        "slug": "employee-outpatient-pharmacy",
        "topic": "employees-outpatient",
        "question": "职工凭处方在定点零售药店购药，能否享受门诊统筹待遇？",
        "answer": (
            "<p>可以。自2023年10月1日起，本市职工凭处方在定点零售药店购买处方药，"
            "门诊统筹按<b>一级医疗机构</b>的标准执行：</p><ul>"
            "<li>起付标准每年200元，与在各级医疗机构看门诊的费用合并累计；</li>"
            "<li>起付标准以上，在职职工报销60%，退休人员报销70%；</li><li>报销金额计入本人年度最高支付限额。</li>"
            "</ul><p>结算时请出示医保电子凭证，并保存好购药票据。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["employee-outpatient-deductible", "pharmacy-settlement"],
    },
    {
        "slug": "employee-outpatient-exclusions",
        "topic": "employees-outpatient",
        "question": "哪些门诊费用不纳入职工门诊统筹支付范围？",
        "answer": (
            "<p>以下费用不能由职工门诊统筹基金支付：</p><ul><li>未按规定缴费（欠缴、断缴）期间发生的门诊费用；</li>"
            "<li>住院期间发生的门诊费用；</li><li>住院、门诊慢特病等待遇报销后个人负担的部分；</li>"
            "<li>应当由工伤保险、生育保险支付的费用；</li><li>健康体检、预防接种（打疫苗）等费用。</li>"
            "</ul><p>以上为本市2023年10月1日起执行的规定。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["employee-outpatient-cap", "employee-outpatient-rate"],
    },
    {
        "slug": "employee-outpatient-offsite",
        "topic": "employees-outpatient",
        "question": "职工和退休人员在外地就医，能否享受门诊统筹待遇？",
        "answer": (
            "<p>要看办理的是哪一类异地就医备案：</p><ul>"
            "<li>异地安置退休人员、异地长期居住人员、常驻异地工作人员：办理备案后，"
            "在备案地和本市都可以享受门诊统筹待遇；</li><li>异地急诊抢救：可以享受，无需事先备案；</li>"
            "<li>临时外出就医人员：不享受职工门诊统筹待遇。</li>"
            "</ul><p>以上为本市自2023年10月1日起执行的规定，备案办理方式请参见异地就医相关问答。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "淮北市医疗保障局 职工门诊共济保障政策解读（2023年10月）",
        "related": ["offsite-filing-categories", "offsite-emergency", "offsite-temporary-trip"],
    },
    {
        "slug": "employee-outpatient-other-region",
        "topic": "employees-outpatient",
        "question": "马鞍山市职工医保门诊统筹的年度支付限额是多少？",
        "answer": (
            "<p>门诊统筹的起付标准、报销比例和年度限额由各统筹地区分别确定，不同城市差别较大。</p>"
            "<p>按马鞍山市公布的政策，职工门诊统筹每人每年最高支付<b>1200元</b>。</p>"
            "<p>其他具体参数以马鞍山市医保部门最新公布的为准；在其他城市参保的职工，请查询参保地的规定。</p>"
        ),
        "regions": ["340500"],
        "effective_from": None,
        "effective_to": None,
        "source": "马鞍山市医疗保障局 门诊共济保障机制政策问答",
        "related": ["resident-outpatient-other-region", "employee-outpatient-cap"],
    },
    # family-sharing: 家庭共济
    {
        "slug": "family-sharing-who",
        "topic": "family-sharing",
        "question": "职工医保个人账户可以与哪些家庭成员共济使用？",
        "answer": (
            "<p>参加职工医保的人员可以作为“发起人”，把自己的个人账户与以下近亲属绑定共济：</p><ul><li>配偶；</li>"
            "<li>父母；</li><li>子女。</li></ul><p>被绑定的家人无论参加职工医保还是城乡居民医保，"
            "都可以用发起人个人账户的钱支付看病买药时个人负担的费用。前提是双方在同一城市参保。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "职工基本医疗保险个人账户家庭共济办理指南",
        "related": ["family-sharing-limit", "family-sharing-how"],
    },
    {
        "slug": "family-sharing-limit",
        "topic": "family-sharing",
        "question": "一名职工最多可以绑定几名家庭成员共济个人账户？双方需要满足什么参保条件？",
        "answer": (
            "<p>每位发起人最多可以绑定<b>7名</b>家庭成员。</p><p>办理共济绑定需要同时满足：</p><ul>"
            "<li>发起人是职工医保参保人；</li><li>被绑定人是发起人的配偶、父母或子女；</li>"
            "<li>发起人和被绑定人在<b>同一城市</b>参保。</li></ul><p>家人在外地参保的，暂时无法与您绑定共济。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "职工基本医疗保险个人账户家庭共济办理指南",
        "related": ["family-sharing-who", "family-sharing-order"],
    },
    {
        "slug": "family-sharing-order",
        "topic": "family-sharing",
        "question": "办理家庭共济后，看病购药时先从谁的个人账户扣费？",
        "answer": (
            "<p>扣费遵循“先本人、后家人”的顺序：</p><ol><li>被绑定人自己有个人账户的，先从本人账户中支付；</li>"
            "<li>本人账户余额不足时，差额从发起人的个人账户中扣除；</li>"
            "<li>同时被多位发起人绑定的，按绑定时间先后依次扣费。</li>"
            "</ol><p>所有账户余额都不够时，剩余部分由个人用现金或其他方式支付。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "职工基本医疗保险个人账户家庭共济办理指南",
        "related": ["family-sharing-limit", "family-sharing-resident-copay"],
    },
    {
        "slug": "family-sharing-resident-copay",
        "topic": "family-sharing",
        "question": "城乡居民门诊报销后个人自付的部分，能否使用家人的职工医保个人账户支付？",
        "answer": (
            "<p>可以。城乡居民看门诊，经医保报销后需要个人负担的部分，可以使用已绑定的家庭共济账户支付。</p>"
            "<p>例如：父母参加城乡居民医保，子女是在职职工。子女作为发起人把父母绑定后，"
            "父母看门诊的自付费用就可以从子女的个人账户中扣除。</p>"
            "<p>前提是已经完成共济绑定，且双方在同一城市参保。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "职工基本医疗保险个人账户家庭共济办理指南",
        "related": ["family-sharing-order", "family-sharing-how"],
    },
    {
        "slug": "family-sharing-how",
        "topic": "family-sharing",
        "question": "如何办理职工医保个人账户家庭共济绑定？",
        "answer": (
            "<p>家庭共济绑定可以在网上办理，不用跑窗口：</p><ol>"
            "<li>由发起人（职工医保参保人）登录医保部门认可的线上服务渠道，进入家庭共济办理页面；</li>"
            "<li>填写要绑定的家庭成员信息；</li><li>上传能证明亲属关系的材料，如户口簿、结婚证、出生医学证明等；</li>"
            "<li>按页面提示确认提交。</li></ol><p>绑定完成后，家人即可使用您的个人账户余额支付规定的医疗费用。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "职工基本医疗保险个人账户家庭共济办理指南",
        "related": ["family-sharing-who", "family-sharing-limit"],
    },
    {
        "slug": "family-sharing-pooling-personal",
        "topic": "family-sharing",
        "question": "职工门诊统筹额度能否通过家庭共济给家人使用？",
        "answer": (
            "<p>不能。家庭共济共享的只是职工医保<b>个人账户</b>里的余额。</p>"
            "<p>门诊统筹待遇（包括起付标准、报销比例和年度最高支付限额）属于参保人本人，不能转让，不能结转到下一年，"
            "也不能与家人共享。</p>"
            "<p>家人看门诊时，统筹报销按其本人参保类型的规定执行，报销后个人负担的部分才可以从共济账户中支付。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "职工基本医疗保险个人账户家庭共济办理指南",
        "related": ["resident-outpatient-quota-personal", "family-sharing-resident-copay"],
    },
    # offsite-care: 异地就医
    {
        "slug": "offsite-filing-categories",
        "topic": "offsite-care",
        "question": "异地就医备案人员分为哪几类？",
        "answer": (
            "<p>异地就医人员一般分为以下六类：</p><ol><li>异地安置退休人员；</li><li>异地长期居住人员；</li>"
            "<li>常驻异地工作人员；</li><li>异地转诊人员；</li><li>临时外出就医人员；</li><li>异地急诊抢救人员。</li>"
            "</ol><p>其中异地急诊抢救不需要事先备案。不同类别享受的待遇有所不同，请根据自己的实际情况选择备案类型。"
            "</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "异地就医直接结算经办服务指南",
        "related": ["offsite-filing-online", "offsite-emergency", "offsite-filing-effect"],
    },
    {
        "slug": "offsite-filing-online",
        "topic": "offsite-care",
        "question": "异地就医备案能否在网上办理？办理后多久生效？",
        "answer": (
            "<p>可以。异地就医备案支持“掌上办”，参保人通过手机上的医保线上服务渠道即可自助申请，"
            "不必到窗口提交纸质材料。</p>"
            "<p>备案实行“即办即结”，提交成功后当场办结、<b>立即生效</b>，随后就可以在备案地的定点医疗机构直接结算。"
            "</p><p>办理时需要如实填写信息并签署承诺书，详见告知承诺制相关问答。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "异地就医直接结算经办服务指南",
        "related": ["offsite-commitment", "offsite-filing-categories"],
    },
    {
        "slug": "offsite-commitment",
        "topic": "offsite-care",
        "question": "什么是异地就医备案告知承诺制？",
        "answer": (
            "<p>告知承诺制是指：办理异地就医备案时，医保部门把办理条件一次性告知参保人，参保人签署书面承诺，"
            "保证所填报的居住、工作等情况真实，就<b>不再需要提交证明材料</b>。</p>"
            "<p>承诺书签署后备案<b>立即生效</b>。医保经办机构事后会按一定比例进行<b>抽查核实</b>，核实与承诺不符的，"
            "备案不予认可。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "异地就医备案告知承诺制实施说明",
        "related": ["offsite-false-commitment", "offsite-filing-online"],
    },
    {
        "slug": "offsite-false-commitment",
        "topic": "offsite-care",
        "question": "办理异地就医备案时作出不实承诺，会有什么后果？",
        "answer": (
            "<p>以承诺方式办理的备案，医保经办机构会进行抽样核查，并不是提交了就一定能通过。例如某区共受理196份承诺，"
            "核查了169份，最终认可143份。</p>"
            "<p>经核查发现承诺内容与实际不符的，该备案将被<b>撤销</b>，不实承诺的情况及其后果会被记录在案，"
            "由此产生的不符合规定的医保费用也要按规定处理。</p><p>请务必如实填报。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "异地就医备案告知承诺制实施说明",
        "related": ["offsite-commitment", "offsite-filing-online"],
    },
    {
        "slug": "offsite-emergency",
        "topic": "offsite-care",
        "question": "在外地突发疾病需要急诊抢救，没有事先办理备案能否报销？",
        "answer": (
            "<p>可以。异地急诊抢救是异地就医的一种情形，<b>不需要事先办理备案</b>。</p>"
            "<p>遇到急症请先就近就医，以抢救生命为先。以淮北市为例，职工医保参保人异地急诊抢救期间发生的门诊费用，"
            "也可以按规定纳入门诊统筹；其他地区以当地规定为准。</p>"
            "<p>具体结算方式可以咨询就诊医院的医保窗口或参保地医保经办机构。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "异地就医直接结算经办服务指南",
        "related": ["offsite-filing-categories", "employee-outpatient-offsite"],
    },
    {
        "slug": "offsite-temporary-trip",
        "topic": "offsite-care",
        "question": "临时外出就医人员办理备案后，能否在外地享受门诊统筹待遇？",
        "answer": (
            "<p>按本市自2023年10月1日起执行的规定：</p><ul>"
            "<li><b>职工</b>：临时外出就医期间的门诊费用，不享受职工门诊统筹待遇。"
            "只有异地安置退休、异地长期居住、常驻异地工作人员以及异地急诊抢救，才能在备案地和本市都享受门诊统筹。"
            "</li><li><b>城乡居民</b>：只有办理了异地长期居住备案，才能在备案地享受普通门诊待遇。</li>"
            "</ul><p>需要长期在外地生活或工作的，建议办理相应类别的长期备案。</p>"
        ),
        "regions": ["340600"],
        "effective_from": "2023-10-01",
        "effective_to": None,
        "source": "异地就医直接结算经办服务指南",
        "related": ["employee-outpatient-offsite", "resident-outpatient-offsite"],
    },
    {
        "slug": "offsite-filing-effect",
        "topic": "offsite-care",
        "question": "办理异地就医备案后，就医待遇会有哪些变化？",
        "answer": (
            "<p>备案主要影响两个方面：</p><ul>"
            "<li><b>门诊统筹在哪里享受</b>：符合条件的备案人员，可以在备案地享受门诊统筹待遇，具体取决于备案类别；"
            "</li><li><b>在哪里直接结算</b>：备案后，在备案地的定点医疗机构看病可以直接刷医保结算，"
            "不用先垫付再回参保地报销。</li>"
            "</ul><p>不同备案类别的门诊待遇不同，请参见职工门诊和居民门诊的相关问答。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "异地就医直接结算经办服务指南",
        "related": ["offsite-filing-categories", "employee-outpatient-offsite", "resident-outpatient-offsite"],
    },
    # e-voucher: 医保电子凭证
    {
        "slug": "evoucher-what",
        "topic": "e-voucher",
        "question": "医保电子凭证有哪些用途？",
        "answer": (
            "<p>医保电子凭证是参保人在线上线下办理医保业务的电子身份凭证，做到“一码在手，医保无忧”。有了它可以：</p>"
            "<ul><li>查询参保、缴费和就医购药记录；</li><li>办理参保登记等医保业务；</li>"
            "<li>在定点药店扫码购药结算；</li><li>在全市定点医疗机构看病、住院结算。</li>"
            "</ul><p>看病买药时带上手机，打开电子凭证出示即可。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医保电子凭证激活与使用指南",
        "related": ["evoucher-activate", "evoucher-screenshot"],
    },
    {
        "slug": "evoucher-activate",
        "topic": "e-voucher",
        "question": "如何激活医保电子凭证？",
        "answer": (
            "<p>医保电子凭证需要通过官方授权的渠道激活，常用的有：</p><ul><li>国家医保服务平台App；</li>"
            "<li>本地医保局微信公众号；</li><li>支付宝；</li><li>其他经国家医保部门认证的第三方渠道。</li>"
            "</ul><p>按页面提示完成实名认证和人脸识别即可激活，之后在上述任一渠道都可以出示使用。"
            "请不要通过来历不明的链接办理，谨防诈骗。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医保电子凭证激活与使用指南",
        "related": ["evoucher-what", "evoucher-family"],
    },
    {
        "slug": "evoucher-screenshot",
        "topic": "e-voucher",
        "question": "医保电子凭证二维码能否截图保存后使用？",
        "answer": (
            "<p>不能。医保电子凭证显示的是<b>动态二维码</b>，每隔几十秒就自动刷新一次，每个码只在很短时间内有效。</p>"
            "<p>截图保存的二维码很快就会失效，药店和医院扫码时无法识别。这样设计也是为了防止他人冒用您的医保身份。"
            "</p><p>使用时请现场打开App或小程序，出示实时生成的码，由工作人员扫码后结算。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医保电子凭证激活与使用指南",
        "related": ["evoucher-scan-fails", "evoucher-what"],
    },
    {
        "slug": "evoucher-family",
        "topic": "e-voucher",
        "question": "家中老人和孩子没有智能手机，如何使用医保电子凭证？",
        "answer": (
            "<p>可以使用“亲情账户”功能。家庭成员或监护人在自己的医保App等渠道中，把老人、孩子添加为亲情账户成员，"
            "完成激活后就可以在自己的手机上切换并出示他们的医保电子凭证。</p>"
            "<p>看病买药时，出示的应当是就诊人本人的码，费用结算在就诊人名下。</p>"
            "<p>注意：亲情账户只是代为出示电子凭证，和个人账户家庭共济是两项不同的业务。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医保电子凭证激活与使用指南",
        "related": ["evoucher-activate", "family-sharing-who"],
    },
    {
        "slug": "evoucher-lost-phone",
        "topic": "e-voucher",
        "question": "手机丢失后，医保电子凭证应当如何处理？",
        "answer": (
            "<p>不必过于担心。医保电子凭证的二维码是动态生成的，要解锁手机并登录账户才能出示，他人难以直接冒用。</p>"
            "<p>建议尽快采取以下措施：</p><ol>"
            "<li>向手机运营商挂失手机号，并修改相关App、微信、支付宝的登录密码；</li>"
            "<li>如发现异常结算，及时联系参保地医保经办机构，必要时申请暂停使用电子凭证；</li>"
            "<li>在新手机上登录原渠道，重新完成身份验证后即可继续使用。</li></ol>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医保电子凭证激活与使用指南",
        "related": ["evoucher-activate", "evoucher-balance"],
    },
    {
        "slug": "evoucher-scan-fails",
        "topic": "e-voucher",
        "question": "在医院或药店出示医保电子凭证时扫码不成功，应当怎么办？",
        "answer": (
            "<p>遇到扫不出来、识别失败的情况，可以按以下步骤排查：</p><ol>"
            "<li>刷新二维码，确认出示的是实时生成的码，而不是截图；</li>"
            "<li>调高手机屏幕亮度，保持屏幕清洁，避免反光；</li><li>检查手机网络是否正常；</li>"
            "<li>确认本人参保状态正常，电子凭证没有被暂停使用。</li>"
            "</ol><p>仍然无法使用的，可以请现场工作人员协助，或者联系参保地医保经办机构咨询。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医保电子凭证激活与使用指南",
        "related": ["evoucher-screenshot", "evoucher-lost-phone"],
    },
    {
        "slug": "evoucher-balance",
        "topic": "e-voucher",
        "question": "如何查询医保个人账户余额和使用记录？",
        "answer": (
            "<p>想知道个人账户里还剩多少钱、钱都花在了哪里，可以在激活医保电子凭证后，"
            "通过国家医保服务平台App、本地医保局微信公众号、支付宝等渠道查询：</p><ul><li>个人账户当前余额；</li>"
            "<li>就医购药的结算记录和缴费记录；</li><li>家庭共济的绑定情况和支付明细。</li>"
            "</ul><p>如发现不是本人发生的消费，请及时向医保部门反映。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医保电子凭证激活与使用指南",
        "related": ["evoucher-what", "family-sharing-order"],
    },
    # medical-assistance: 医疗救助
    {
        "slug": "assistance-who",
        "topic": "medical-assistance",
        "question": "哪些困难人员可以申请医疗救助？",
        "answer": (
            "<p>医疗救助是在基本医保、大病保险报销之后，对困难群众个人仍需负担的医疗费用再给予帮助。"
            "按某省2022年公布的政策，救助对象主要有四类：</p><ul><li>特困人员；</li>"
            "<li>最低生活保障对象（低保对象）；</li><li>返贫致贫人口；</li>"
            "<li>纳入监测的低收入人口（监测人口）。</li>"
            "</ul><p>各地救助对象的范围和标准可能不同，请以当地规定为准。</p>"
        ),
        "regions": [],
        "effective_from": "2022-01-01",
        "effective_to": None,
        "source": "2022年度医疗救助政策问答（省级公布标准）",
        "related": ["assistance-rates", "assistance-contribution-subsidy"],
    },
    {
        "slug": "assistance-rates",
        "topic": "medical-assistance",
        "question": "医疗救助的起付标准和救助比例分别是多少？",
        "answer": (
            "<p>按某省2022年公布的标准，经基本医保、大病保险报销后，政策范围内个人负担的费用按以下标准救助：</p><ul>"
            "<li>特困人员：不设起付标准，救助比例不低于80%；</li><li>低保对象：不设起付标准，不低于75%；</li>"
            "<li>返贫致贫人口：起付标准1500元，不低于70%；</li><li>监测人口：起付标准3000元，不低于60%。</li>"
            "</ul><p>年度救助限额约5万元。以上为公布的标准，各地可能有所不同，以当地规定为准。</p>"
        ),
        "regions": [],
        "effective_from": "2022-01-01",
        "effective_to": None,
        "source": "2022年度医疗救助政策问答（省级公布标准）",
        "related": ["assistance-extremely-poor-dibao", "assistance-low-income", "assistance-cap"],
    },
    {
        "slug": "assistance-extremely-poor-dibao",
        "topic": "medical-assistance",
        "question": "特困人员、低保对象的医疗救助标准是多少？",
        "answer": (
            "<p>按某省2022年公布的标准，特困人员和低保对象在基本医保、大病保险报销之后，个人负担的政策范围内费用："
            "</p><ul><li>特困人员：<b>不设起付标准</b>，救助比例<b>不低于80%</b>；</li>"
            "<li>低保对象：<b>不设起付标准</b>，救助比例<b>不低于75%</b>。</li>"
            "</ul><p>年度救助限额约5万元。各地的救助比例可能与上述公布数字有所不同，请以当地规定为准。</p>"
        ),
        "regions": [],
        "effective_from": "2022-01-01",
        "effective_to": None,
        "source": "2022年度医疗救助政策问答（省级公布标准）",
        "related": ["assistance-rates", "assistance-contribution-subsidy"],
    },
    {
        "slug": "assistance-low-income",
        "topic": "medical-assistance",
        "question": "返贫致贫人口和监测人口的医疗救助起付标准和救助比例是多少？",
        "answer": (
            "<p>按某省2022年公布的标准：</p><ul>"
            "<li>返贫致贫人口：年度起付标准<b>1500元</b>，超过部分救助比例<b>不低于70%</b>；</li>"
            "<li>纳入监测的低收入人口：年度起付标准<b>3000元</b>，超过部分救助比例<b>不低于60%</b>。</li>"
            "</ul><p>救助针对的是经基本医保、大病保险报销后仍由个人负担的政策范围内费用，年度救助限额约5万元。"
            "各地标准可能不同，以当地公布的为准。</p>"
        ),
        "regions": [],
        "effective_from": "2022-01-01",
        "effective_to": None,
        "source": "2022年度医疗救助政策问答（省级公布标准）",
        "related": ["assistance-rates", "assistance-cap"],
    },
    {
        "slug": "assistance-cap",
        "topic": "medical-assistance",
        "question": "医疗救助每年最多救助多少钱？",
        "answer": (
            "<p>按某省2022年公布的政策，医疗救助的年度救助限额约为<b>5万元</b>。</p>"
            "<p>救助在基本医保和大病保险报销之后进行，针对的是个人负担的政策范围内费用，"
            "并按救助对象类别分别设定起付标准和救助比例。</p>"
            "<p>以上为公布的标准，各地的具体限额可能有所不同，请咨询当地医保部门。</p>"
        ),
        "regions": [],
        "effective_from": "2022-01-01",
        "effective_to": None,
        "source": "2022年度医疗救助政策问答（省级公布标准）",
        "related": ["assistance-rates", "assistance-who"],
    },
    {
        "slug": "assistance-contribution-subsidy",
        "topic": "medical-assistance",
        "question": "困难群众参加城乡居民医保，个人缴费可以获得哪些资助？",
        "answer": (
            "<p>按某省2022年公布的政策，困难群众参加城乡居民医保，个人缴费部分可以按比例获得资助（补贴）：</p><ul>"
            "<li>特困人员：全额资助（<b>100%</b>）；</li><li>低保对象：资助<b>80%～90%</b>；</li>"
            "<li>返贫致贫人口：资助<b>70%～80%</b>；</li><li>监测人口：资助<b>50%</b>。</li>"
            "</ul><p>2022年居民医保个人缴费标准为每人每年320元。具体资助比例以当地规定为准。</p>"
        ),
        "regions": [],
        "effective_from": "2022-01-01",
        "effective_to": None,
        "source": "2022年度城乡居民基本医疗保险筹资及参保资助政策解读",
        "related": ["resident-contribution-2022", "assistance-who"],
    },
    {
        "slug": "resident-contribution-2022",
        "topic": "medical-assistance",
        "question": "2022年城乡居民医保个人缴费标准是多少？财政补助多少？",
        "answer": (
            "<p>按某省公布的2022年度标准，城乡居民医保个人缴费为每人每年<b>320元</b>，"
            "财政补助为每人每年<b>580元</b>，两项合计每人每年900元。</p>"
            "<p>特困人员、低保对象等困难群众的个人缴费部分，还可以按规定获得资助。</p>"
            "<p>缴费标准每年可能调整，请以当年度当地公布的标准为准。</p>"
        ),
        "regions": [],
        "effective_from": "2022-01-01",
        "effective_to": None,
        "source": "2022年度城乡居民基本医疗保险筹资及参保资助政策解读",
        "related": ["assistance-contribution-subsidy", "assistance-who"],
    },
    # negotiated-drugs: 谈判药品与双通道
    {
        "slug": "dual-channel-what",
        "topic": "negotiated-drugs",
        "question": "什么是国家医保谈判药品“双通道”管理？",
        "answer": (
            "<p>“双通道”是指国家医保谈判药品可以通过两个渠道供应并纳入医保支付：一是<b>定点医疗机构</b>，"
            "二是<b>定点零售药店</b>。</p>"
            "<p>患者在医院开具处方后，既可以在医院取药，也可以到符合条件的双通道定点药店购药，"
            "两个渠道执行相同的报销政策。</p>"
            "<p>双通道药品实行“定机构、定医师、定药店”管理，具体药品目录和药店名单以当地医保部门公布为准。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "国家医保谈判药品“双通道”管理政策问答（地方公布标准）",
        "related": ["dual-channel-three-fixed", "dual-channel-deductible"],
    },
    {
        "slug": "dual-channel-three-fixed",
        "topic": "negotiated-drugs",
        "question": "双通道谈判药品实行的“定机构、定医师、定药店”是什么意思？",
        "answer": (
            "<p>为保障用药安全和医保基金安全，双通道谈判药品实行“三定”管理：</p><ul>"
            "<li><b>定机构</b>：在确定的定点医疗机构就诊；</li><li><b>定医师</b>：由确定的责任医师开具处方；</li>"
            "<li><b>定药店</b>：在确定的双通道定点药店购药。</li>"
            "</ul><p>确需变更就诊机构、医师或药店的，请按当地规定办理变更手续。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "国家医保谈判药品“双通道”管理政策问答（地方公布标准）",
        "related": ["dual-channel-what", "dual-channel-how-to-buy"],
    },
    {
        "slug": "dual-channel-deductible",
        "topic": "negotiated-drugs",
        "question": "门诊使用双通道谈判药品的起付标准是多少？",
        "answer": (
            "<p>按已公布的地方政策，门诊使用双通道谈判药品，一个年度内的起付标准为<b>500元</b>。</p>"
            "<p>住院期间使用谈判药品的，不再另外设置起付标准。</p>"
            "<p>起付标准以上的费用按比例报销，职工医保75%，城乡居民医保60%。以上数字为某地区公布的标准，"
            "其他地区可能不同，请以参保地规定为准。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "国家医保谈判药品“双通道”管理政策问答（地方公布标准）",
        "related": ["dual-channel-rate", "dual-channel-cap"],
    },
    {
        "slug": "dual-channel-rate",
        "topic": "negotiated-drugs",
        "question": "双通道谈判药品的报销比例是多少？",
        "answer": (
            "<p>按已公布的地方政策，门诊使用双通道谈判药品，超过年度起付标准（500元）的政策范围内费用，"
            "统筹基金支付比例为：</p><ul><li>职工医保参保人：<b>75%</b>；</li>"
            "<li>城乡居民医保参保人：<b>60%</b>。</li>"
            "</ul><p>以上为某地区公布的标准，各地可能不同，请以参保地医保部门的规定为准。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "国家医保谈判药品“双通道”管理政策问答（地方公布标准）",
        "related": ["dual-channel-deductible", "dual-channel-cap"],
    },
    {
        "slug": "dual-channel-cap",
        "topic": "negotiated-drugs",
        "question": "双通道谈判药品的年度最高支付限额是多少？",
        "answer": (
            "<p>双通道谈判药品不单独设置限额，而是与统筹基金的年度最高支付限额合并计算。按已公布的地方标准：</p><ul>"
            "<li>职工医保：年度最高支付限额<b>40万元</b>；</li><li>城乡居民医保：年度最高支付限额<b>13万元</b>。</li>"
            "</ul><p>也就是说，谈判药品费用与其他由统筹基金支付的费用共用这一限额。具体数字以参保地规定为准。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "国家医保谈判药品“双通道”管理政策问答（地方公布标准）",
        "related": ["dual-channel-rate", "dual-channel-deductible"],
    },
    {
        "slug": "dual-channel-how-to-buy",
        "topic": "negotiated-drugs",
        "question": "如何在双通道定点药店购买谈判药品并进行医保结算？",
        "answer": (
            "<p>一般流程如下：</p><ol><li>到确定的定点医疗机构就诊，由责任医师开具谈判药品处方；</li>"
            "<li>持处方到确定的双通道定点药店购药；</li>"
            "<li>出示医保电子凭证，药店扫描药品追溯码后直接进行医保结算，个人只需支付自付部分。</li>"
            "</ol><p>具体办理要求和药店名单以当地医保部门公布为准。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "国家医保谈判药品“双通道”管理政策问答（地方公布标准）",
        "related": ["dual-channel-three-fixed", "pharmacy-settlement"],
    },
    # payments: 线上支付与结算
    {
        "slug": "internet-hospital-how",
        "topic": "payments",
        "question": "在互联网医院就诊能否使用医保支付？流程是怎样的？",
        "answer": (
            "<p>可以。在已接入医保支付的互联网医院，普通门诊患者可以全程在手机上完成：</p><ol><li>在线预约挂号；</li>"
            "<li>与医生线上问诊或复诊，开具处方；</li>"
            "<li>在线支付：先用医保个人账户支付，不足部分再用现金（微信、支付宝等）支付；</li><li>药品配送到家。</li>"
            "</ol><p>整个过程不用往返医院排队。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "“互联网+”医保支付服务操作指南",
        "related": ["internet-hospital-bill", "internet-hospital-which", "internet-hospital-chronic"],
    },
    {
        "slug": "internet-hospital-bill",
        "topic": "payments",
        "question": "互联网医院医保在线结算时，费用如何在统筹基金、个人账户和现金之间分担？",
        "answer": (
            "<p>一笔医保在线结算的费用通常分为三部分：</p><ul>"
            "<li><b>统筹基金支付</b>：按门诊统筹等政策由医保基金报销的部分；</li>"
            "<li><b>个人账户支付</b>：从本人医保个人账户扣除，余额不足时还可以使用已绑定的家庭共济账户；</li>"
            "<li><b>现金支付</b>：剩下的部分由个人通过微信支付、支付宝等第三方渠道支付。</li>"
            "</ul><p>支付完成后可以在App中查看每一部分的明细。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "“互联网+”医保支付服务操作指南",
        "related": ["internet-hospital-how", "family-sharing-order", "refund-how"],
    },
    {
        "slug": "internet-hospital-which",
        "topic": "payments",
        "question": "哪些互联网医院可以使用医保在线支付？",
        "answer": (
            "<p>互联网医院要使用医保在线支付，需要同时满足两个条件：</p><ul><li>是医保<b>定点</b>的互联网医院；</li>"
            "<li>已经完成与医保移动支付系统的对接。</li>"
            "</ul><p>各地按批次推进接入，例如某地区分四批接入了38家互联网医院。尚未接入的互联网医院只能自费支付，"
            "就诊前可以在App中查看该医院是否支持医保支付。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "“互联网+”医保支付服务操作指南",
        "related": ["internet-hospital-how", "internet-hospital-chronic"],
    },
    {
        "slug": "internet-hospital-chronic",
        "topic": "payments",
        "question": "哪些慢性病可以在互联网医院复诊并使用医保结算？",
        "answer": (
            "<p>可以在互联网医院复诊并医保结算的慢性病病种，由各地医保部门公布目录。以某市为例，"
            "在原有病种基础上又新增了9种，可在线诊疗并结算的慢性病达到<b>17种</b>。</p>"
            "<p>病情稳定的慢性病患者可以通过互联网医院在线复诊、续开处方、药品配送到家，减少往返医院。</p>"
            "<p>具体病种名单以当地医保部门公布为准。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "“互联网+”医保支付服务操作指南",
        "related": ["internet-hospital-how", "long-prescription"],
    },
    {
        "slug": "refund-how",
        "topic": "payments",
        "question": "医保线上支付后发生退费，费用会退到哪里？",
        "answer": (
            "<p>退费按照“原路退回”的原则办理：</p><ul><li>统筹基金支付的部分退回医保基金；</li>"
            "<li>个人账户支付的部分退回原个人账户，用家庭共济账户支付的退回原共济账户；</li>"
            "<li>现金部分退回原来的微信、支付宝等支付渠道。</li>"
            "</ul><p>到账时间以各支付渠道为准。药店结算有误需要撤销的，钱款同样原路退回。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "“互联网+”医保支付服务操作指南",
        "related": ["internet-hospital-bill", "pharmacy-settlement"],
    },
    {
        "slug": "pharmacy-settlement",
        "topic": "payments",
        "question": "在定点药店购药时如何使用医保结算？",
        "answer": (
            "<p>在定点零售药店购药，结算流程如下：</p><ol><li>打开医保App等渠道，出示医保电子凭证实时二维码；</li>"
            "<li>药店扫码确认您的参保身份和状态；</li><li>药店逐盒扫描药品追溯码，然后进行医保结算；</li>"
            "<li>按规定由个人账户或门诊统筹支付，剩余部分个人自付。</li>"
            "</ol><p>如果结算有误，药店可以撤销该笔结算，费用原路退回。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "定点零售药店医保结算与药品追溯码采集工作说明",
        "related": ["traceability-code", "employee-outpatient-pharmacy", "refund-how"],
    },
    {
        "slug": "traceability-code",
        "topic": "payments",
        "question": "什么是药品追溯码？在药店购药时为什么要扫描追溯码？",
        "answer": (
            "<p>每一盒药品的包装上都印有唯一的<b>药品追溯码</b>，相当于药品的“身份证”。</p>"
            "<p>按照“应采尽采、依码结算、依码支付”的要求，定点药店销售药品时要逐盒扫描采集追溯码，"
            "并凭码进行医保结算。</p>"
            "<p>同一个追溯码如果被销售两次，就可能存在回流药、串换药等问题，系统会自动标记并核查。"
            "请不要倒卖医保药品，也不要购买来路不明的药品。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "定点零售药店医保结算与药品追溯码采集工作说明",
        "related": ["pharmacy-settlement", "fraud-report-reward"],
    },
    {
        "slug": "specified-disease-prescription",
        "topic": "payments",
        "question": "门诊规定病种患者的处方在定点药店可以使用多长时间？",
        "answer": (
            "<p>病情稳定的门诊规定病种（慢特病）患者，一张处方在定点药店可以使用<b>3个月</b>：</p><ul>"
            "<li>第1次、第2次购药时，药店在处方上加盖印章；</li><li>第3次购药时，药店留存处方。</li>"
            "</ul><p>处方用完后需要重新就诊开具。具体操作以当地医保部门规定为准。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "门诊规定病种定点药店购药管理规定解读",
        "related": ["specified-disease-violation", "long-prescription"],
    },
    {
        "slug": "specified-disease-violation",
        "topic": "payments",
        "question": "门诊规定病种患者违规购药将承担什么后果？",
        "answer": (
            "<p>经查实有以下行为之一的，将暂停其该病种在定点药店的医保结算资格<b>1年</b>：</p><ul>"
            "<li>使用虚假处方购药；</li><li>串换药品，即把处方上的药换成其他药品或物品；</li>"
            "<li>重复购买相同适应症的药品。</li></ul><p>请凭真实处方、按实际需要购药，共同守护好大家的医保基金。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "门诊规定病种定点药店购药管理规定解读",
        "related": ["specified-disease-prescription", "traceability-code"],
    },
    {
        "slug": "long-prescription",
        "topic": "payments",
        "question": "病情稳定的慢性病患者，长期处方最长可以开多长时间？",
        "answer": (
            "<p>对病情稳定、需要长期用药的慢性病患者，医生可以开具长期处方（也叫长处方），"
            "一次最多可以开<b>3个月</b>的用量，减少频繁往返医院。</p>"
            "<p>长期处方的药品同样可以在定点医疗机构或定点药店按规定使用医保结算。是否适合开长期处方，"
            "由医生根据病情判断。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "门诊规定病种定点药店购药管理规定解读",
        "related": ["specified-disease-prescription", "internet-hospital-chronic"],
    },
    {
        "slug": "fraud-report-reward",
        "topic": "payments",
        "question": "举报欺诈骗取医保基金的行为有奖励吗？奖励标准是什么？",
        "answer": (
            "<p>有。举报经查证属实的欺诈骗保案件，按涉案金额给予奖励：</p><ul>"
            "<li>涉案金额<b>5万元及以上</b>的，按涉案金额的<b>1%</b>给予奖励，最高不超过<b>10万元</b>；</li>"
            "<li>涉案金额不足5万元的，给予表扬等精神奖励，不发放奖金。</li>"
            "</ul><p>医保部门对举报人的信息严格保密。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "欺诈骗取医疗保障基金行为举报奖励办法解读",
        "related": ["traceability-code", "smart-audit"],
    },
    {
        "slug": "smart-audit",
        "topic": "payments",
        "question": "在定点医疗机构或药店结算时提示医保审核不通过，是什么原因？",
        "answer": (
            "<p>医保部门通过智能审核系统，按照诊断、用药、政策等规则库对每一笔结算进行检查，"
            "并已由事后审核逐步前移到<b>结算前审核</b>：</p><ul>"
            "<li>明显违反规则的费用，系统会拒绝支付或予以扣减；</li><li>存在疑点的，转入人工复核。</li>"
            "</ul><p>例如某市的明确规则已从21条增加到27条。结算被拒时，可以先向医院或药店了解具体原因，"
            "必要时咨询医保部门。</p>"
        ),
        "regions": [],
        "effective_from": None,
        "effective_to": None,
        "source": "医疗保障基金智能审核工作说明",
        "related": ["traceability-code", "pharmacy-settlement"],
    },
]
