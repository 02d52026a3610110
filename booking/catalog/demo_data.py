"""Templates for the demo catalogue: real instrument types and models, real standard numbers.

Platforms are fictional (six copied from the shared platforms file, one Sino-German lab in
Berlin for daylight-saving work); manufacturers, models and standards are real.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS_ORDER = ("instrument", "testing_service", "patent", "document", "germplasm", "lab_animal",
               "facility", "space")
KIND_LETTERS = {"instrument": "I", "testing_service": "T", "patent": "P", "document": "D",
                "germplasm": "G", "lab_animal": "A", "facility": "F", "space": "S"}

PLATFORMS: list[dict[str, Any]] = [
    {"code": "NJNC", "name_zh": "宁川大学分析测试中心", "name_en": "Ningchuan University Analysis and Testing Center",
     "city_zh": "南京", "city_en": "Nanjing", "kind": "university_lab",
     "address_zh": "南京市栖霞区仙林大道宁川大学科技楼", "timezone": "Asia/Shanghai",
     "email": "service@atc.ningchuan-u.example.edu", "email_domain": "atc.ningchuan-u.example.edu",
     "buildings": ["科技楼", "化学楼", "材料楼"],
     "booking_rules": {"requires_approval": False, "min_minutes": 30, "max_minutes": 480}},
    {"code": "NJZD", "name_zh": "南京紫东重大科技设施开放中心",
     "name_en": "Nanjing Zidong Open Center for Major Research Facilities",
     "city_zh": "南京", "city_en": "Nanjing", "kind": "research_institute",
     "address_zh": "南京市玄武区紫东创新园9号楼", "timezone": "Asia/Shanghai",
     "email": "open@zidong-facility.example.org", "email_domain": "zidong-facility.example.org",
     "buildings": ["1号楼", "9号楼", "试验大厅"],
     "booking_rules": {"requires_approval": True}},
    {"code": "SZXC", "name_zh": "苏州相城智造检测认证中心",
     "name_en": "Suzhou Xiangcheng Smart Manufacturing Testing & Certification Center",
     "city_zh": "苏州", "city_en": "Suzhou", "kind": "testing_centre",
     "address_zh": "苏州市相城区高铁新城检测认证大楼", "timezone": "Asia/Shanghai",
     "email": "kefu@xc-tic.example.com", "email_domain": "xc-tic.example.com",
     "buildings": ["检测大楼", "环境试验楼", "EMC楼"]},
    {"code": "WXXC", "name_zh": "无锡锡创众创空间", "name_en": "Wuxi Xichuang Maker Space",
     "city_zh": "无锡", "city_en": "Wuxi", "kind": "incubator",
     "address_zh": "无锡市梁溪区锡创路某号 锡创大厦", "timezone": "Asia/Shanghai",
     "email": "hello@xichuang.example.com", "email_domain": "xichuang.example.com",
     "buildings": ["锡创大厦", "3号厂房"]},
    {"code": "NTTH", "name_zh": "南通通海生物医药公共服务平台", "name_en": "Nantong Tonghai Biomedical Public Service Platform",
     "city_zh": "南通", "city_en": "Nantong", "kind": "science_park",
     "address_zh": "南通市崇川区通海生物医药产业园公共服务楼", "timezone": "Asia/Shanghai",
     "email": "service@tonghai-bio.example.com", "email_domain": "tonghai-bio.example.com",
     "buildings": ["公共服务楼", "药研楼", "动物房"]},
    {"code": "YCHH", "name_zh": "盐城黄海湿地农业种质资源共享平台",
     "name_en": "Yancheng Huanghai Wetland Agricultural Germplasm Sharing Platform",
     "city_zh": "盐城", "city_en": "Yancheng", "kind": "research_institute",
     "address_zh": "盐城市亭湖区黄海路某号 种质资源库", "timezone": "Asia/Shanghai",
     "email": "share@huanghai-germplasm.example.org", "email_domain": "huanghai-germplasm.example.org",
     "buildings": ["种质资源库", "育种楼"]},
    {"code": "SGBL", "name_zh": "中德（柏林）智能制造联合实验室",
     "name_en": "Sino-German Joint Laboratory for Smart Manufacturing (Berlin)",
     "city_zh": "柏林", "city_en": "Berlin", "kind": "research_institute",
     "address_zh": "德国柏林阿德勒斯霍夫科技园 Rudower Chaussee 某号", "timezone": "Europe/Berlin",
     "email": "lab@sino-german-lab.example.de", "email_domain": "sino-german-lab.example.de",
     "buildings": ["Haus A", "Haus B", "Technikum"],
     "booking_rules": {"requires_approval": True, "cancel_notice_minutes": 1440}},
]
PLATFORM_BY_CODE = {p["code"]: p for p in PLATFORMS}
# The public profile of each demo platform (/platforms/<code>): merged into PLATFORMS by booking.catalog.demo.
PROFILES: dict[str, dict[str, str]] = {
    "NJNC": {"introduction_zh": "宁川大学分析测试中心成立于 2003 年，是学校面向校内外开放的大型仪器共享平台。\n"
                                "中心拥有电子显微镜、X 射线衍射、核磁共振、质谱等大型仪器，可为企业提供材料表征与成分分析服务。",
             "introduction_en": "Founded in 2003, the centre shares the university's large instruments with "
                                "researchers and companies.\nElectron microscopy, X-ray diffraction, NMR and mass "
                                "spectrometry for materials characterisation and chemical analysis.",
             "accreditation": "CMA 2015100123；CNAS L5678", "contact_name": "王老师 / Ms Wang",
             "phone": "+86 25 8359 1234", "website": "https://atc.ningchuan-u.example.edu"},
    "NJZD": {"introduction_zh": "紫东开放中心管理南京地区多台重大科研设施，面向高校、院所和企业开放共享。\n重大设施使用需提前预约并经审核。",
             "introduction_en": "The Zidong centre opens Nanjing's major research facilities to universities, "
                                "institutes and companies.\nBookings of the major facilities need approval.",
             "accreditation": "CNAS L9012", "contact_name": "李工 / Mr Li", "phone": "+86 25 8471 2000",
             "website": "https://zidong-facility.example.org"},
    "SZXC": {"introduction_zh": "相城智造检测认证中心为智能制造企业提供环境可靠性、电磁兼容和材料力学检测。\n出具具有 CMA、CNAS 资质的检测报告。",
             "introduction_en": "Testing and certification for smart-manufacturing companies: environmental "
                                "reliability, EMC and mechanical testing.\nReports carry the CMA and CNAS marks.",
             "accreditation": "CMA 201912345678；CNAS L3344", "contact_name": "客服中心 / Service desk",
             "phone": "+86 512 6588 0000", "website": "https://xc-tic.example.com"},
    "WXXC": {"introduction_zh": "锡创众创空间为初创团队提供工位、会议室和创客工坊，并对接创新券政策。",
             "introduction_en": "Desks, meeting rooms and a maker workshop for start-up teams, with help "
                                "applying for innovation vouchers.",
             "contact_name": "陈经理 / Ms Chen", "phone": "+86 510 8272 1100",
             "website": "https://xichuang.example.com"},
    "NTTH": {"introduction_zh": "通海生物医药公共服务平台提供实验动物、细胞分析和药物检测等公共技术服务。",
             "introduction_en": "Laboratory animals, cell analysis and drug testing for the biomedical companies "
                                "of the Tonghai park.",
             "accreditation": "CMA 202010009876；AAALAC", "contact_name": "周博士 / Dr Zhou",
             "phone": "+86 513 8551 2200", "website": "https://tonghai-bio.example.com"},
    "YCHH": {"introduction_zh": "黄海湿地农业种质资源共享平台保存水稻、小麦、耐盐植物等种质资源，面向育种单位共享。",
             "introduction_en": "Rice, wheat and salt-tolerant plant germplasm from the Huanghai wetlands, shared "
                                "with breeders.",
             "contact_name": "孙研究员 / Prof. Sun", "phone": "+86 515 8833 4455",
             "website": "https://huanghai-germplasm.example.org"},
    "SGBL": {"introduction_zh": "中德（柏林）智能制造联合实验室位于柏林阿德勒斯霍夫科技园，开放增材制造和精密测量设备。",
             "introduction_en": "The Sino-German joint laboratory in Berlin Adlershof shares additive-manufacturing "
                                "and precision-metrology equipment.",
             "accreditation": "DAkkS D-PL-12345", "contact_name": "Dr. Anna Schmidt", "phone": "+49 30 6392 0000",
             "website": "https://sino-german-lab.example.de"},
}
ID_STYLES = {"NJNC": "year", "NJZD": "prefix", "SZXC": "prefix", "WXXC": "numeric", "NTTH": "year",
             "YCHH": "prefix", "SGBL": "year"}


def _week(days: str, *intervals: tuple[str, str]) -> dict[str, list[list[str]]]:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return {day: [list(i) for i in intervals] if day in days.split() else [] for day in names}


WEEKDAYS = "mon tue wed thu fri"
HOURS = {
    "office": _week(WEEKDAYS, ("08:30", "11:30"), ("13:30", "17:30")),
    "long": _week(WEEKDAYS, ("08:00", "12:00"), ("13:00", "17:30"), ("18:30", "22:00")),
    "saturday": {**_week(WEEKDAYS, ("08:30", "12:00"), ("14:00", "17:00")), "sat": [["09:00", "12:00"]]},
    "round": _week(WEEKDAYS + " sat sun", ("00:00", "24:00")),
    "berlin": _week(WEEKDAYS, ("08:00", "12:00"), ("13:00", "16:30")),
    "day_let": _week(WEEKDAYS + " sat sun", ("08:00", "22:00")),
    "day_shift": _week(WEEKDAYS, ("08:00", "20:00")),
    "berlin_late": {**_week("mon tue wed thu", ("07:30", "12:00"), ("12:45", "18:00")), "fri": [["07:30", "13:00"]]},
}
HOURS_BY_PLATFORM = {
    "NJNC": [HOURS["office"], HOURS["long"], HOURS["saturday"]],
    "NJZD": [HOURS["office"], HOURS["round"]],
    "SZXC": [HOURS["office"], HOURS["saturday"]],
    "WXXC": [HOURS["long"], HOURS["saturday"]],
    "NTTH": [HOURS["office"], HOURS["long"]],
    "YCHH": [HOURS["office"]],
    "SGBL": [HOURS["berlin"], HOURS["berlin_late"]],
}
SPACE_HOURS = [
    _week(WEEKDAYS + " sat sun", ("08:00", "12:00"), ("13:00", "18:00"), ("18:30", "22:00")),
    _week(WEEKDAYS, ("09:00", "12:00"), ("13:30", "18:00")),
]

INSTRUMENT_SERVICE_ZH = (
    "可提供自主上机与委托测试两种服务方式，首次使用需参加操作培训。",
    "对校内外开放共享，提供样品前处理与数据分析支持。",
    "支持预约制开放，夜间时段需经平台管理员审核。",
)
INSTRUMENT_SERVICE_EN = (
    "Open to external users; operator training is required before first use.",
    "Self-service or staff-operated measurements; sample preparation support available.",
    "Booked by the hour; evening slots need the manager's approval.",
)


@dataclass(frozen=True)
class InstrumentType:
    zh: str
    en: str
    abbr: str
    category: str
    synonyms: tuple[str, ...]
    uses_zh: tuple[str, ...]
    use_en: str
    models: tuple[tuple[str, str, str, str], ...]  # manufacturer, 中文名, model, country
    price: tuple[int, int]  # CNY per hour, range
    value_wan: tuple[int, int]  # asset value in 10k CNY, range


INSTRUMENTS: dict[str, InstrumentType] = {
    "fesem": InstrumentType(
        "场发射扫描电子显微镜", "Field Emission Scanning Electron Microscope", "FE-SEM", "电子显微镜",
        ("场发射扫描电镜", "扫描电镜", "SEM"), ("微观形貌观察", "EDS元素面分布", "断口分析"),
        "high-resolution imaging of surfaces and EDS elemental mapping",
        (("Hitachi High-Tech", "日立高新", "Regulus 8100", "JP"), ("ZEISS", "蔡司", "GeminiSEM 500", "DE"),
         ("Thermo Fisher Scientific", "赛默飞世尔", "Apreo 2", "US"), ("JEOL", "日本电子", "JSM-IT800", "JP")),
        (300, 800), (300, 900)),
    "tem": InstrumentType(
        "透射电子显微镜", "Transmission Electron Microscope", "TEM", "电子显微镜",
        ("透射电镜", "场发射透射电镜"), ("高分辨晶格像", "选区电子衍射", "STEM-EDS成分分析"),
        "atomic-resolution imaging, electron diffraction and STEM-EDS",
        (("JEOL", "日本电子", "JEM-F200", "JP"), ("Thermo Fisher Scientific", "赛默飞世尔", "Talos F200X G2", "US"),
         ("JEOL", "日本电子", "JEM-2100Plus", "JP")),
        (800, 1600), (900, 2500)),
    "xrd": InstrumentType(
        "X射线衍射仪", "X-ray Diffractometer", "XRD", "X射线分析",
        ("粉末衍射仪", "多晶X射线衍射仪"), ("物相定性定量分析", "晶粒尺寸与残余应力", "薄膜掠入射衍射"),
        "phase identification, crystallite size and residual stress",
        (("Bruker", "布鲁克", "D8 ADVANCE", "DE"), ("Rigaku", "理学", "SmartLab 9kW", "JP"),
         ("Malvern Panalytical", "马尔文帕纳科", "Empyrean", "NL")),
        (150, 400), (150, 500)),
    "scxrd": InstrumentType(
        "单晶X射线衍射仪", "Single Crystal X-ray Diffractometer", "SC-XRD", "X射线分析",
        ("单晶衍射仪", "四圆衍射仪"), ("单晶结构解析", "绝对构型测定"),
        "crystal structure determination and absolute configuration",
        (("Bruker", "布鲁克", "D8 VENTURE", "DE"), ("Rigaku", "理学", "XtaLAB Synergy-R", "JP")),
        (400, 900), (300, 700)),
    "nmr": InstrumentType(
        "核磁共振波谱仪", "Nuclear Magnetic Resonance Spectrometer", "NMR", "波谱",
        ("核磁", "液体核磁"), ("有机结构鉴定", "二维谱HSQC/HMBC", "定量核磁qNMR"),
        "structure elucidation of organic compounds (1H, 13C, 2D)",
        (("Bruker", "布鲁克", "AVANCE NEO 400", "DE"), ("Bruker", "布鲁克", "AVANCE III HD 600", "DE"),
         ("JEOL", "日本电子", "JNM-ECZ500R", "JP")),
        (200, 700), (400, 1200)),
    "xps": InstrumentType(
        "X射线光电子能谱仪", "X-ray Photoelectron Spectrometer", "XPS", "表面分析",
        ("光电子能谱", "ESCA"), ("表面元素价态分析", "深度剖析"),
        "surface chemical states and depth profiling",
        (("Thermo Fisher Scientific", "赛默飞世尔", "ESCALAB Xi+", "US"), ("Kratos", "岛津-克雷托斯", "AXIS SUPRA+", "UK")),
        (500, 1000), (500, 900)),
    "lcms": InstrumentType(
        "三重四极杆液质联用仪", "Triple Quadrupole LC-MS/MS", "LC-MS/MS", "质谱",
        ("液质联用", "液质", "三重四极杆质谱"), ("痕量化合物MRM定量", "药物代谢物分析", "农残兽残检测"),
        "targeted quantitation of trace compounds by MRM",
        (("Agilent", "安捷伦", "6470B", "US"), ("SCIEX", "SCIEX", "Triple Quad 6500+", "US"),
         ("Thermo Fisher Scientific", "赛默飞世尔", "TSQ Altis Plus", "US")),
        (300, 700), (300, 800)),
    "gcms": InstrumentType(
        "气相色谱-质谱联用仪", "Gas Chromatograph-Mass Spectrometer", "GC-MS", "质谱",
        ("气质联用", "气质"), ("挥发性有机物定性", "香精香料分析", "VOCs检测"),
        "identification of volatile and semi-volatile organics",
        (("Agilent", "安捷伦", "8890-5977B", "US"), ("Shimadzu", "岛津", "GCMS-QP2020 NX", "JP")),
        (150, 400), (100, 300)),
    "icpms": InstrumentType(
        "电感耦合等离子体质谱仪", "Inductively Coupled Plasma Mass Spectrometer", "ICP-MS", "原子光谱",
        ("等离子体质谱",), ("痕量元素分析", "重金属检测", "同位素比值"),
        "trace element and heavy-metal analysis",
        (("Agilent", "安捷伦", "7900", "US"), ("Thermo Fisher Scientific", "赛默飞世尔", "iCAP RQ", "US")),
        (200, 500), (150, 400)),
    "hplc": InstrumentType(
        "高效液相色谱仪", "High Performance Liquid Chromatograph", "HPLC", "色谱",
        ("液相色谱", "液相"), ("含量测定", "有关物质检查", "手性拆分"),
        "assay and impurity analysis",
        (("Agilent", "安捷伦", "1260 Infinity II", "US"), ("Waters", "沃特世", "ACQUITY Arc", "US"),
         ("Shimadzu", "岛津", "LC-20AT", "JP")),
        (80, 200), (30, 120)),
    "ftir": InstrumentType(
        "傅里叶变换红外光谱仪", "Fourier Transform Infrared Spectrometer", "FTIR", "光谱",
        ("红外光谱仪", "红外"), ("官能团鉴定", "ATR微区分析", "高分子材料鉴别"),
        "functional-group identification by ATR and transmission",
        (("Thermo Fisher Scientific", "赛默飞世尔", "Nicolet iS50", "US"), ("Bruker", "布鲁克", "INVENIO R", "DE")),
        (80, 200), (60, 150)),
    "raman": InstrumentType(
        "显微共焦拉曼光谱仪", "Confocal Raman Microscope", "Raman", "光谱",
        ("拉曼光谱仪", "拉曼"), ("碳材料表征", "拉曼成像", "应力分析"),
        "Raman mapping of carbon materials and stress",
        (("HORIBA", "堀场", "LabRAM HR Evolution", "FR"), ("Renishaw", "雷尼绍", "inVia Qontor", "UK")),
        (150, 350), (100, 300)),
    "afm": InstrumentType(
        "原子力显微镜", "Atomic Force Microscope", "AFM", "扫描探针显微镜",
        ("扫描探针显微镜", "SPM"), ("表面粗糙度测量", "纳米力学成像", "导电AFM"),
        "nanoscale topography and mechanical mapping",
        (("Bruker", "布鲁克", "Dimension Icon", "US"), ("Park Systems", "帕克", "NX10", "KR"),
         ("Oxford Instruments Asylum Research", "牛津仪器", "Cypher ES", "US")),
        (200, 500), (150, 400)),
    "sta": InstrumentType(
        "同步热分析仪", "Simultaneous Thermal Analyzer", "TG-DSC", "热分析",
        ("热重分析仪", "TGA", "DSC"), ("热稳定性", "玻璃化转变温度", "分解温度测定"),
        "thermogravimetry and calorimetry up to 1500 °C",
        (("NETZSCH", "耐驰", "STA 449 F5 Jupiter", "DE"), ("METTLER TOLEDO", "梅特勒-托利多", "TGA/DSC 3+", "CH")),
        (100, 250), (60, 150)),
    "psa": InstrumentType(
        "激光粒度分析仪", "Laser Diffraction Particle Size Analyzer", "PSA", "颗粒表征",
        ("激光粒度仪", "粒度仪"), ("粒径分布测定", "干法湿法分散"),
        "particle size distribution by laser diffraction",
        (("Malvern Panalytical", "马尔文帕纳科", "Mastersizer 3000", "UK"), ("Beckman Coulter", "贝克曼库尔特", "LS 13 320 XR", "US")),
        (80, 200), (40, 100)),
    "confocal": InstrumentType(
        "激光扫描共聚焦显微镜", "Confocal Laser Scanning Microscope", "CLSM", "光学显微镜",
        ("共聚焦显微镜", "激光共聚焦"), ("活细胞成像", "三维重构", "多色荧光成像"),
        "live-cell and multicolour fluorescence imaging",
        (("ZEISS", "蔡司", "LSM 980", "DE"), ("Leica Microsystems", "徕卡", "STELLARIS 5", "DE"),
         ("Nikon", "尼康", "AX R", "JP")),
        (200, 500), (300, 800)),
    "flow": InstrumentType(
        "流式细胞仪", "Flow Cytometer", "FCM", "细胞分析",
        ("流式", "流式细胞分析仪"), ("细胞凋亡检测", "免疫分型", "细胞周期"),
        "multicolour immunophenotyping and apoptosis assays",
        (("BD Biosciences", "碧迪", "FACSCanto II", "US"), ("Beckman Coulter", "贝克曼库尔特", "CytoFLEX S", "US")),
        (150, 300), (100, 300)),
    "qpcr": InstrumentType(
        "实时荧光定量PCR仪", "Real-Time PCR System", "qPCR", "分子生物学",
        ("荧光定量PCR", "定量PCR"), ("基因表达分析", "病原体核酸检测"),
        "gene expression and pathogen detection",
        (("Thermo Fisher Scientific", "赛默飞世尔", "QuantStudio 5", "US"), ("Bio-Rad", "伯乐", "CFX Opus 96", "US"),
         ("Roche", "罗氏", "LightCycler 480 II", "CH")),
        (50, 150), (30, 80)),
    "utm": InstrumentType(
        "电子万能材料试验机", "Universal Testing Machine", "UTM", "力学性能",
        ("万能试验机", "拉力机"), ("拉伸压缩弯曲试验", "GB/T 228.1拉伸试验"),
        "tensile, compression and bending tests",
        (("Instron", "英斯特朗", "5985", "US"), ("ZwickRoell", "兹韦克", "Z100", "DE"), ("MTS", "美特斯", "Criterion C45", "US")),
        (100, 300), (50, 200)),
    "cmm": InstrumentType(
        "三坐标测量机", "Coordinate Measuring Machine", "CMM", "几何量计量",
        ("三坐标", "坐标测量机"), ("形位公差检测", "逆向工程测量"),
        "dimensional and geometric tolerance inspection",
        (("ZEISS", "蔡司", "CONTURA", "DE"), ("Hexagon", "海克斯康", "GLOBAL S", "SE")),
        (200, 400), (100, 300)),
    "ct": InstrumentType(
        "工业计算机断层扫描系统", "Industrial X-ray CT", "CT", "无损检测",
        ("工业CT", "X射线CT"), ("内部缺陷检测", "三维尺寸测量", "孔隙率分析"),
        "non-destructive 3D inspection of parts and defects",
        (("ZEISS", "蔡司", "METROTOM 1500", "DE"), ("Waygate Technologies", "贝克休斯", "phoenix v|tome|x m", "DE")),
        (600, 1200), (500, 1500)),
    "printer": InstrumentType(
        "金属3D打印机", "Metal 3D Printer (LPBF)", "SLM", "增材制造",
        ("3D打印机", "激光选区熔化"), ("金属零件打印", "拓扑优化件试制"),
        "laser powder-bed fusion of metal parts",
        (("EOS", "EOS", "M 290", "DE"), ("Farsoon", "华曙高科", "FS271M", "CN"), ("Bright Laser", "铂力特", "BLT-S310", "CN")),
        (300, 600), (200, 600)),
    "fdm": InstrumentType(
        "桌面级3D打印机", "Desktop 3D Printer", "FDM", "增材制造",
        ("3D打印", "熔融沉积打印机"), ("原型样件打印", "结构验证"),
        "rapid prototyping in PLA, PETG and ABS",
        (("Bambu Lab", "拓竹", "X1-Carbon", "CN"), ("Ultimaker", "Ultimaker", "S5", "NL"), ("Raise3D", "复志", "Pro3", "CN")),
        (20, 60), (1, 6)),
    "laser_cutter": InstrumentType(
        "激光切割雕刻机", "Laser Cutter", "CO2 Laser", "机加工",
        ("激光切割机", "激光雕刻机"), ("亚克力木板切割", "外壳样件加工"),
        "cutting and engraving acrylic, wood and cardboard",
        (("Trotec", "卓泰克", "Speedy 400", "AT"), ("Epilog", "Epilog", "Fusion Pro 32", "US")),
        (50, 120), (10, 40)),
}

INSTRUMENT_PLAN: list[tuple[str, tuple[str, ...], int]] = [
    ("NJNC", ("fesem", "tem", "xrd", "scxrd", "nmr", "xps", "ftir", "raman", "afm", "sta", "psa",
              "icpms", "gcms", "hplc"), 6),
    ("SZXC", ("utm", "cmm", "ct", "fesem", "icpms"), 4),
    ("NTTH", ("lcms", "hplc", "confocal", "flow", "qpcr", "nmr"), 4),
    ("SGBL", ("cmm", "ct", "printer", "utm", "fesem", "xrd"), 3),
    ("NJZD", ("tem", "xps"), 2),
    ("WXXC", ("fdm", "laser_cutter", "printer"), 3),
    ("YCHH", ("qpcr", "hplc"), 2),
]


@dataclass(frozen=True)
class ServiceType:
    zh: str
    en: str
    category: str
    standards: tuple[str, ...]
    samples: tuple[str, ...]
    instruments: tuple[str, ...]
    keywords: tuple[str, ...]
    turnaround: tuple[int, ...]
    price: tuple[int, int]


SERVICES: dict[str, ServiceType] = {
    "tensile": ServiceType("金属材料室温拉伸试验", "Tensile testing of metallic materials at room temperature",
                           "力学性能", ("GB/T 228.1-2021", "ISO 6892-1:2019"), ("钢板", "铝合金型材", "紧固件"),
                           ("Instron 5985",), ("拉伸试验", "屈服强度", "抗拉强度", "断后伸长率"), (3, 5), (150, 400)),
    "hardness": ServiceType("金属洛氏硬度试验", "Rockwell hardness test of metals", "力学性能",
                            ("GB/T 230.1-2018", "ISO 6508-1:2016"), ("热处理件", "齿轮"), ("Wilson RH2150",),
                            ("洛氏硬度", "HRC"), (2, 3), (50, 150)),
    "impact": ServiceType("金属材料夏比摆锤冲击试验", "Charpy pendulum impact test", "力学性能",
                          ("GB/T 229-2020", "ISO 148-1:2016"), ("焊接接头", "压力容器钢"), ("ZwickRoell HIT450P",),
                          ("冲击功", "低温冲击"), (3, 5), (100, 300)),
    "salt_spray": ServiceType("中性盐雾试验", "Neutral salt spray test", "环境可靠性",
                              ("GB/T 10125-2021", "ISO 9227:2022", "GB/T 2423.17-2008"), ("涂层件", "电镀件", "汽车零部件"),
                              ("Q-FOG CCT1100",), ("盐雾试验", "耐腐蚀", "NSS"), (7, 10, 15), (300, 1500)),
    "temp_humidity": ServiceType("高低温及湿热试验", "Cold, dry heat and damp heat tests", "环境可靠性",
                                 ("GB/T 2423.1-2008", "GB/T 2423.2-2008", "GB/T 2423.3-2016"), ("电子产品", "电池包"),
                                 ("ESPEC PL-3KPH",), ("高低温试验", "湿热试验", "环境试验"), (5, 7), (500, 2500)),
    "vibration": ServiceType("振动试验（正弦）", "Sinusoidal vibration test", "环境可靠性",
                             ("GB/T 2423.10-2019", "IEC 60068-2-6:2007"), ("车载电子", "电源模块"), ("苏试 DC-3200",),
                             ("振动试验", "扫频"), (3, 5), (800, 3000)),
    "emc_re": ServiceType("辐射骚扰测试", "Radiated emission test", "电磁兼容",
                          ("GB/T 9254.1-2021", "CISPR 32:2015"), ("信息技术设备", "多媒体设备"), ("R&S ESW26",),
                          ("EMC", "电磁兼容", "辐射发射", "RE"), (5, 7), (2000, 6000)),
    "esd": ServiceType("静电放电抗扰度试验", "Electrostatic discharge immunity test", "电磁兼容",
                       ("GB/T 17626.2-2018", "IEC 61000-4-2:2008"), ("电子产品", "家用电器"), ("Teseq NSG 438",),
                       ("ESD", "静电放电", "抗扰度"), (3, 5), (800, 2000)),
    "safety": ServiceType("信息技术设备安全检测", "Safety testing of ICT equipment", "电气安全",
                          ("GB 4943.1-2022", "IEC 62368-1:2018"), ("电源适配器", "路由器"), ("耐压测试仪 Chroma 19032",),
                          ("安规", "3C认证", "电气安全"), (10, 15), (3000, 8000)),
    "plastic_tensile": ServiceType("塑料拉伸性能测定", "Tensile properties of plastics", "高分子材料",
                                   ("GB/T 1040.2-2022", "ISO 527-2:2012"), ("注塑样条", "改性塑料"), ("ZwickRoell Z010",),
                                   ("塑料拉伸", "拉伸模量"), (3, 5), (150, 400)),
    "heavy_metal": ServiceType("食品中铅、镉等重金属检测", "Lead, cadmium and other heavy metals in food", "食品安全",
                               ("GB 5009.12-2023", "GB 5009.15-2023", "GB 5009.268-2016"), ("大米", "茶叶", "水产品"),
                               ("Agilent 7900 ICP-MS",), ("重金属", "铅", "镉", "ICP-MS"), (5, 7), (200, 600)),
    "water": ServiceType("生活饮用水全分析", "Drinking water full analysis", "水质检测",
                         ("GB 5749-2022", "GB/T 5750-2023"), ("自来水", "二次供水", "桶装水"),
                         ("ICP-MS", "离子色谱仪 Thermo Dionex Aquion"), ("饮用水", "水质检测", "97项"), (10, 15), (1500, 4000)),
    "bet": ServiceType("比表面积及孔径分布测定", "Specific surface area and pore size (BET)", "颗粒表征",
                       ("GB/T 19587-2017", "ISO 9277:2022"), ("催化剂", "活性炭", "分子筛"),
                       ("Micromeritics ASAP 2460",), ("BET", "比表面积", "孔径分布", "氮气吸附"), (3, 5), (200, 500)),
    "particle": ServiceType("激光衍射法粒度分析", "Particle size analysis by laser diffraction", "颗粒表征",
                            ("GB/T 19077-2016", "ISO 13320:2020"), ("粉体", "浆料", "电池材料"),
                            ("Malvern Mastersizer 3000",), ("粒度", "D50", "粒径分布"), (2, 3), (100, 300)),
    "crystal": ServiceType("单晶结构测定与解析", "Single-crystal structure determination", "结构分析",
                           ("JY/T 0588-2020",), ("有机小分子晶体", "配合物晶体"), ("Bruker D8 VENTURE",),
                           ("测晶体结构", "单晶衍射", "CIF报告"), (5, 7), (800, 2000)),
    "formaldehyde": ServiceType("纺织品甲醛含量测定", "Formaldehyde content of textiles", "纺织品检测",
                                ("GB/T 2912.1-2009", "ISO 14184-1:2011"), ("服装", "婴幼儿纺织品"), ("UV-2600 分光光度计",),
                                ("甲醛", "纺织品安全"), (3, 5), (100, 300)),
    "pk": ServiceType("药代动力学样品生物分析", "Bioanalysis of pharmacokinetic samples", "药物分析",
                      ("ICH M10", "《中国药典》2020年版 9012"), ("血浆", "组织匀浆"), ("SCIEX Triple Quad 6500+",),
                      ("PK", "药代动力学", "LC-MS/MS定量"), (10, 15), (300, 800)),
    "sterility": ServiceType("无菌检查", "Sterility test", "药物分析",
                             ("《中国药典》2020年版 1101", "USP <71>"), ("注射剂", "医疗器械"), ("集菌仪 Millipore Steritest",),
                             ("无菌检查", "微生物限度"), (14,), (500, 1500)),
    "cytotox": ServiceType("医疗器械细胞毒性试验", "In vitro cytotoxicity of medical devices", "生物相容性",
                           ("GB/T 16886.5-2017", "ISO 10993-5:2009"), ("植入材料", "导管"), ("酶标仪 BioTek Synergy H1",),
                           ("细胞毒性", "生物相容性", "MTT"), (10, 15), (1500, 3500)),
    "seed_purity": ServiceType("种子纯度及真实性SSR鉴定", "Seed purity and variety identity by SSR markers", "种子检验",
                               ("NY/T 1433-2014", "GB/T 3543.5-1995"), ("水稻种子", "小麦种子"), ("ABI 3730xl",),
                               ("SSR", "品种真实性", "DNA指纹"), (7, 10), (300, 800)),
    "germination": ServiceType("种子发芽试验", "Seed germination test", "种子检验",
                               ("GB/T 3543.4-1995",), ("水稻种子", "大豆种子"), ("人工气候箱",),
                               ("发芽率", "种子检验"), (7, 14), (100, 200)),
    "din_tensile": ServiceType("金属拉伸试验（德标）", "Tensile test of metals to DIN EN ISO 6892-1", "力学性能",
                               ("DIN EN ISO 6892-1:2020-06", "GB/T 228.1-2021"), ("汽车钢板", "增材制造试样"),
                               ("ZwickRoell Z100",), ("Zugversuch", "tensile test"), (3, 5), (100, 300)),
    "am_density": ServiceType("增材制造零件致密度与CT缺陷分析", "Density and CT porosity analysis of AM parts", "增材制造",
                              ("ISO/ASTM 52902:2023", "ASTM E1441-19"), ("LPBF零件", "晶格结构"), ("ZEISS METROTOM 1500",),
                              ("孔隙率", "工业CT", "3D打印质量"), (5, 7), (200, 800)),
    "roughness": ServiceType("表面粗糙度测量", "Surface roughness measurement", "几何量计量",
                             ("GB/T 1031-2009", "ISO 21920-2:2021"), ("机加工件", "模具"), ("Mitutoyo SJ-410",),
                             ("Ra", "粗糙度"), (2, 3), (80, 200)),
}

SERVICE_PLAN: list[tuple[str, tuple[str, ...]]] = [
    ("SZXC", ("tensile", "hardness", "impact", "salt_spray", "temp_humidity", "vibration", "emc_re", "esd",
              "safety", "plastic_tensile", "formaldehyde", "roughness", "heavy_metal", "water")),
    ("NJNC", ("bet", "particle", "crystal", "heavy_metal", "tensile", "plastic_tensile")),
    ("NTTH", ("pk", "sterility", "cytotox", "heavy_metal", "water")),
    ("YCHH", ("seed_purity", "germination", "heavy_metal")),
    ("SGBL", ("din_tensile", "am_density", "roughness", "salt_spray", "vibration")),
    ("NJZD", ("emc_re", "esd")),
]


@dataclass(frozen=True)
class PatentTopic:
    zh: str
    en: str
    field: str
    ipc: tuple[str, ...]
    keywords: tuple[str, ...]
    abstract: str


def _patent(zh: str, en: str, field: str, ipc: tuple[str, ...], keywords: tuple[str, ...], abstract: str) -> PatentTopic:
    return PatentTopic(zh, en, field, ipc, keywords, abstract)


PATENT_PLAN: list[tuple[str, tuple[PatentTopic, ...]]] = [
    ("NJNC", (
        _patent("一种高镍三元正极材料的表面包覆方法", "Surface coating method for nickel-rich ternary cathode material",
                "新能源材料", ("H01M 4/36", "H01M 4/525", "H01M 10/0525"), ("锂离子电池", "正极材料", "包覆"),
                "通过湿化学法在NCM811颗粒表面构筑磷酸锂包覆层，抑制界面副反应，提高循环稳定性。"),
        _patent("一种钙钛矿太阳能电池空穴传输层及其制备方法", "Hole transport layer for perovskite solar cells",
                "光伏", ("H10K 30/00", "H10K 85/60"), ("钙钛矿", "太阳能电池", "空穴传输层"),
                "采用自组装单分子层替代Spiro-OMeTAD，器件效率与湿热稳定性显著提升。"),
        _patent("一种基于单晶X射线衍射的药物晶型鉴别方法", "Method for identifying drug polymorphs by single-crystal XRD",
                "药物分析", ("G01N 23/207", "C07B 63/00"), ("晶型", "单晶衍射", "多晶型"),
                "结合单晶结构解析与粉末图谱模拟，实现药物多晶型的快速鉴别。"),
        _patent("一种可降解聚乳酸复合材料及其制备方法", "Degradable polylactic acid composite and preparation thereof",
                "高分子材料", ("C08L 67/04", "C08K 3/34"), ("聚乳酸", "PLA", "可降解"),
                "以改性纳米黏土增韧聚乳酸，提高缺口冲击强度并保持可降解性。"),
        _patent("一种用于扫描电镜的样品冷冻传输装置", "Cryo-transfer device for scanning electron microscope samples",
                "仪器设备", ("H01J 37/20", "G01N 1/42"), ("冷冻传输", "扫描电镜", "Cryo-SEM"),
                "传输舱内保持液氮温度与真空，避免含水样品在转移过程中结霜。"),
        _patent("一种硅碳负极材料及其制备方法", "Silicon-carbon anode material and preparation method thereof",
                "新能源材料", ("H01M 4/38", "H01M 4/62"), ("硅碳负极", "锂电池"),
                "以多孔碳骨架负载纳米硅并经化学气相沉积包覆，缓解体积膨胀。"),
    )),
    ("SZXC", (
        _patent("一种电磁兼容测试用转台定位装置", "Turntable positioning device for EMC testing",
                "电磁兼容", ("G01R 31/00", "G01R 29/08"), ("EMC", "转台", "暗室"),
                "转台采用非金属传动与光栅定位，降低对辐射场的扰动。"),
        _patent("一种盐雾试验箱喷雾量自动校准系统", "Automatic spray-rate calibration system for salt spray chambers",
                "环境试验", ("G01N 17/00", "B05B 12/00"), ("盐雾试验", "校准"),
                "通过称重式收集器实时反馈，自动调节喷雾压力，使沉降量满足标准要求。"),
        _patent("一种紧固件拉伸试验用自对中夹具", "Self-aligning grip for tensile testing of fasteners",
                "力学试验", ("G01N 3/04", "G01N 3/08"), ("拉伸试验", "夹具", "紧固件"),
                "球面自对中结构消除偏心载荷，提高试验结果重复性。"),
        _patent("一种锂电池包振动与温度综合试验台", "Combined vibration and temperature test bench for battery packs",
                "环境试验", ("G01M 7/02", "H01M 10/48"), ("振动试验", "电池包"),
                "振动台与温箱集成，实现温度-振动耦合工况下的可靠性评价。"),
    )),
    ("NTTH", (
        _patent("一种靶向PD-L1的单域抗体及其应用", "Single-domain antibody targeting PD-L1 and use thereof",
                "生物医药", ("C07K 16/28", "A61K 39/395", "A61P 35/00"), ("纳米抗体", "PD-L1", "肿瘤免疫"),
                "经羊驼免疫与噬菌体展示筛选获得高亲和力单域抗体。"),
        _patent("一种血浆中奥希替尼浓度的LC-MS/MS测定方法", "LC-MS/MS method for osimertinib in plasma",
                "药物分析", ("G01N 30/72", "G01N 30/06"), ("LC-MS/MS", "血药浓度", "奥希替尼"),
                "采用蛋白沉淀前处理与同位素内标，定量下限达0.5 ng/mL。"),
        _patent("一种小鼠肿瘤模型的构建方法", "Method for building a mouse tumour model",
                "实验动物", ("A01K 67/027", "C12N 5/09"), ("动物模型", "裸鼠", "移植瘤"),
                "利用BALB/c裸鼠皮下接种人源肿瘤细胞，成瘤率高且个体差异小。"),
        _patent("一种冻干粉针剂及其制备工艺", "Lyophilised powder for injection and preparation process",
                "药物制剂", ("A61K 9/19", "A61K 47/26"), ("冻干", "注射剂"),
                "优化预冻与一次干燥参数，缩短冻干周期并改善复溶性。"),
    )),
    ("YCHH", (
        _patent("一种耐盐碱水稻品种的分子标记辅助选育方法", "Marker-assisted breeding of salt-tolerant rice",
                "作物育种", ("A01H 1/04", "C12Q 1/6895"), ("耐盐碱", "水稻", "分子标记"),
                "利用与SKC1基因紧密连锁的标记进行前景选择，加快耐盐品系培育。"),
        _patent("一种盐地碱蓬种子的储藏方法", "Storage method for Suaeda salsa seeds",
                "种质保存", ("A01F 25/00", "A01C 1/00"), ("盐地碱蓬", "种子储藏"),
                "低温干燥储藏结合定期活力检测，延长种子寿命。"),
    )),
    ("SGBL", (
        _patent("一种激光选区熔化成形件的在线质量监测方法", "In-situ quality monitoring for laser powder bed fusion",
                "增材制造", ("B22F 10/85", "B33Y 50/02", "G06T 7/00"), ("3D打印", "熔池监测", "LPBF"),
                "采集熔池高速图像并以深度学习识别未熔合缺陷，实时调整工艺参数。"),
        _patent("一种工业CT与三坐标数据融合的尺寸检测方法", "Dimensional inspection fusing industrial CT and CMM data",
                "几何量计量", ("G01B 15/04", "G01N 23/046"), ("工业CT", "三坐标", "数据融合"),
                "以三坐标测量的基准特征校正CT体数据，提高内部尺寸测量精度。"),
        _patent("一种面向中小企业的数字孪生产线", "Digital-twin production line for small and medium enterprises",
                "智能制造", ("G05B 19/418", "G06Q 50/04"), ("数字孪生", "工业4.0", "OPC UA"),
                "基于OPC UA统一设备数据模型，实现产线状态的实时映射与仿真。"),
    )),
    ("WXXC", (
        _patent("一种桌面级3D打印机的自动调平装置", "Auto bed-levelling device for desktop 3D printers",
                "增材制造", ("B29C 64/227", "B33Y 30/00"), ("3D打印", "自动调平"),
                "采用压力传感喷嘴测量热床平面度并生成补偿网格。"),
        _patent("一种智能快递柜", "Smart parcel locker", "智能硬件", ("G07F 17/12", "A47G 29/14"),
                ("智能硬件", "物联网"), "柜门状态与温湿度上传云端，支持生鲜件冷藏。"),
    )),
]


@dataclass(frozen=True)
class Document:
    number: str
    zh: str
    en: str
    doc_type: str
    publisher: str
    year: int
    keywords: tuple[str, ...]
    note: str
    replaces: str | None = None


SAC = "国家市场监督管理总局、国家标准化管理委员会"
DOCUMENT_PLAN: list[tuple[str, tuple[Document, ...]]] = [
    ("SZXC", (
        Document("GB/T 228.1-2021", "金属材料 拉伸试验 第1部分：室温试验方法",
                 "Metallic materials—Tensile testing—Part 1: Method of test at room temperature",
                 "国家标准", SAC, 2022, ("拉伸试验", "金属材料"), "规定了金属材料室温拉伸试验方法。", "GB/T 228.1-2010"),
        Document("GB/T 230.1-2018", "金属材料 洛氏硬度试验 第1部分：试验方法",
                 "Metallic materials—Rockwell hardness test—Part 1: Test method",
                 "国家标准", SAC, 2019, ("洛氏硬度",), "规定了洛氏硬度的试验方法。", "GB/T 230.1-2009"),
        Document("GB/T 10125-2021", "人造气氛腐蚀试验 盐雾试验", "Corrosion tests in artificial atmospheres—Salt spray tests",
                 "国家标准", SAC, 2022, ("盐雾试验", "腐蚀"), "规定了中性、乙酸和铜加速乙酸盐雾试验。", "GB/T 10125-2012"),
        Document("GB/T 2423.1-2008", "电工电子产品环境试验 第2部分：试验方法 试验A：低温",
                 "Environmental testing for electric and electronic products—Part 2: Test methods—Tests A: Cold",
                 "国家标准", "国家质量监督检验检疫总局、国家标准化管理委员会", 2009, ("低温试验", "环境试验"),
                 "规定了电工电子产品的低温试验方法。"),
        Document("GB/T 9254.1-2021", "信息技术设备、多媒体设备和接收机 电磁兼容 第1部分：发射要求",
                 "Information technology equipment, multimedia equipment and receivers—EMC—Part 1: Emission requirements",
                 "国家标准", SAC, 2022, ("EMC", "辐射发射"), "等同采用CISPR 32:2015。", "GB/T 9254-2008"),
        Document("GB/T 17626.2-2018", "电磁兼容 试验和测量技术 静电放电抗扰度试验",
                 "Electromagnetic compatibility—Testing and measurement techniques—Electrostatic discharge immunity test",
                 "国家标准", SAC, 2019, ("ESD", "静电放电"), "等同采用IEC 61000-4-2:2008。", "GB/T 17626.2-2006"),
        Document("GB 4943.1-2022", "音视频、信息技术和通信技术设备 第1部分：安全要求",
                 "Audio/video, information and communication technology equipment—Part 1: Safety requirements",
                 "国家标准", SAC, 2023, ("安规", "IEC 62368-1"), "基于危险源的安全工程原则。", "GB 4943.1-2011"),
        Document("GB/T 27025-2019", "检测和校准实验室能力的通用要求",
                 "General requirements for the competence of testing and calibration laboratories",
                 "国家标准", SAC, 2020, ("ISO/IEC 17025", "实验室认可"), "等同采用ISO/IEC 17025:2017。", "GB/T 27025-2008"),
    )),
    ("NJNC", (
        Document("GB/T 19587-2017", "气体吸附BET法测定固态物质比表面积",
                 "Determination of the specific surface area of solids by gas adsorption using the BET method",
                 "国家标准", "国家质量监督检验检疫总局、国家标准化管理委员会", 2018, ("BET", "比表面积"),
                 "规定了气体吸附BET法的原理与测定步骤。", "GB/T 19587-2004"),
        Document("GB/T 19077-2016", "粒度分析 激光衍射法", "Particle size analysis—Laser diffraction methods",
                 "国家标准", "国家质量监督检验检疫总局、国家标准化管理委员会", 2017, ("粒度", "激光衍射"),
                 "修改采用ISO 13320:2009。", "GB/T 19077.1-2008"),
        Document("JY/T 0584-2020", "扫描电子显微镜分析方法通则", "General rules for scanning electron microscopy analysis",
                 "教育行业标准", "中华人民共和国教育部", 2020, ("扫描电镜", "SEM"), "规定了扫描电镜分析的一般方法。"),
        Document("GB/T 19001-2016", "质量管理体系 要求", "Quality management systems—Requirements",
                 "国家标准", "国家质量监督检验检疫总局、国家标准化管理委员会", 2017, ("ISO 9001", "质量管理"),
                 "等同采用ISO 9001:2015。", "GB/T 19001-2008"),
    )),
    ("NTTH", (
        Document("GB/T 16886.5-2017", "医疗器械生物学评价 第5部分：体外细胞毒性试验",
                 "Biological evaluation of medical devices—Part 5: Tests for in vitro cytotoxicity",
                 "国家标准", "国家质量监督检验检疫总局、国家标准化管理委员会", 2018, ("细胞毒性", "ISO 10993-5"),
                 "等同采用ISO 10993-5:2009。", "GB/T 16886.5-2003"),
        Document("GB 14925-2023", "实验动物 环境及设施", "Laboratory animals—Requirements of environment and housing facilities",
                 "国家标准", SAC, 2024, ("实验动物", "屏障环境"), "规定了实验动物设施的环境指标。", "GB 14925-2010"),
        Document("GB 5749-2022", "生活饮用水卫生标准", "Standards for drinking water quality",
                 "国家标准", SAC, 2023, ("饮用水", "水质"), "规定了97项水质指标及限值。", "GB 5749-2006"),
    )),
    ("SGBL", (
        Document("DIN EN ISO 6892-1:2020-06", "金属材料 拉伸试验 第1部分：室温试验方法（德标版）",
                 "Metallic materials—Tensile testing—Part 1: Method of test at room temperature (DIN EN ISO)",
                 "德国标准", "DIN Deutsches Institut für Normung", 2020, ("Zugversuch", "ISO 6892-1"),
                 "与GB/T 228.1-2021技术内容基本一致。"),
        Document("VDI/VDE 2630 Blatt 1.1", "工业CT尺寸测量 基础与定义",
                 "Computed tomography in dimensional measurement—Fundamentals and definitions",
                 "行业规范", "VDI/VDE-Gesellschaft Mess- und Automatisierungstechnik", 2016, ("工业CT", "尺寸测量"),
                 "德国工程师协会关于CT尺寸测量的系列指南。"),
        Document("ISO/ASTM 52900:2021", "增材制造 通用原则 基础和术语",
                 "Additive manufacturing—General principles—Fundamentals and vocabulary",
                 "国际标准", "ISO/ASTM", 2021, ("增材制造", "3D打印", "术语"), "定义了增材制造的七类工艺。"),
        Document("DIN SPEC 91345:2016-04", "工业4.0参考架构模型（RAMI 4.0）",
                 "Reference Architecture Model Industrie 4.0 (RAMI4.0)",
                 "技术规范", "DIN Deutsches Institut für Normung", 2016, ("工业4.0", "RAMI 4.0"),
                 "描述了工业4.0的三维参考架构。"),
    )),
]


@dataclass(frozen=True)
class Germplasm:
    zh: str
    en: str
    latin: str
    group: str
    code: str
    variety: str
    variety_en: str
    traits: tuple[str, ...]


GERMPLASM: tuple[Germplasm, ...] = (
    Germplasm("水稻", "Rice", "Oryza sativa L.", "粮食作物", "OS", "南粳46", "Nanjing 46", ("优良食味粳稻", "中熟晚粳")),
    Germplasm("水稻", "Rice", "Oryza sativa L.", "粮食作物", "OS", "南粳9108", "Nanjing 9108", ("半糯型优质粳稻", "抗条纹叶枯病")),
    Germplasm("水稻", "Rice", "Oryza sativa L.", "粮食作物", "OS", "盐稻12号", "Yandao 12", ("耐盐碱", "适宜滨海盐土")),
    Germplasm("小麦", "Wheat", "Triticum aestivum L.", "粮食作物", "TA", "扬麦13", "Yangmai 13", ("弱筋小麦", "抗赤霉病较好")),
    Germplasm("小麦", "Wheat", "Triticum aestivum L.", "粮食作物", "TA", "宁麦13", "Ningmai 13", ("中筋", "高产稳产")),
    Germplasm("大豆", "Soybean", "Glycine max (L.) Merr.", "油料作物", "GM", "南农99-6", "Nannong 99-6", ("高蛋白", "夏大豆")),
    Germplasm("大麦", "Barley", "Hordeum vulgare L.", "粮食作物", "HV", "苏啤3号", "Supi 3", ("啤酒大麦", "早熟")),
    Germplasm("盐地碱蓬", "Seepweed", "Suaeda salsa (L.) Pall.", "盐生植物", "SS", "黄海滩涂野生群体", "Huanghai wild population",
              ("极耐盐", "滨海湿地先锋植物")),
    Germplasm("互花米草", "Smooth cordgrass", "Spartina alterniflora Loisel.", "盐生植物", "SA", "盐城滩涂群体",
              "Yancheng coastal population", ("入侵物种研究材料", "耐淹")),
    Germplasm("芦苇", "Common reed", "Phragmites australis (Cav.) Trin. ex Steud.", "湿地植物", "PA", "大丰湿地群体",
              "Dafeng wetland population", ("耐盐", "生物量高")),
    Germplasm("西兰花", "Broccoli", "Brassica oleracea var. italica", "蔬菜", "BO", "盐城早熟系", "Yancheng early line",
              ("早熟", "耐寒")),
    Germplasm("甘薯", "Sweet potato", "Ipomoea batatas (L.) Lam.", "薯类", "IB", "苏薯8号", "Sushu 8", ("高产", "食用型")),
)


@dataclass(frozen=True)
class Animal:
    strain: str
    zh: str
    en: str
    grade: str
    grade_en: str
    age: str
    note: str
    price: int


ANIMALS: tuple[Animal, ...] = (
    Animal("C57BL/6J", "小鼠", "mouse", "SPF级", "SPF", "6-8周龄", "最常用的近交系小鼠，适用于免疫与代谢研究。", 45),
    Animal("BALB/c", "小鼠", "mouse", "SPF级", "SPF", "6-8周龄", "近交系，常用于单克隆抗体制备。", 40),
    Animal("BALB/c-nu", "裸鼠", "nude mouse", "SPF级", "SPF", "4-6周龄", "T细胞缺陷，适用于人源肿瘤移植模型。", 120),
    Animal("ICR", "小鼠", "mouse", "SPF级", "SPF", "4-6周龄", "封闭群，适用于药物安全性评价。", 25),
    Animal("SD", "大鼠", "rat", "SPF级", "SPF", "180-220 g", "封闭群大鼠，适用于药理毒理研究。", 80),
    Animal("Wistar", "大鼠", "rat", "SPF级", "SPF", "200-250 g", "封闭群大鼠，适用于营养与行为学研究。", 85),
    Animal("NOD-SCID", "小鼠", "mouse", "SPF级", "SPF", "6-8周龄", "重度联合免疫缺陷，适用于人源化模型。", 260),
    Animal("新西兰白兔", "兔", "New Zealand white rabbit", "普通级", "conventional", "2.0-2.5 kg", "适用于热原与皮肤刺激试验。", 450),
    Animal("Beagle", "比格犬", "dog", "普通级", "conventional", "8-10月龄", "适用于药代动力学与长期毒性试验。", 6500),
    Animal("Hartley", "豚鼠", "guinea pig", "普通级", "conventional", "300-350 g", "适用于致敏试验。", 150),
)


@dataclass(frozen=True)
class Facility:
    platform: str
    zh: str
    en: str
    description: str
    keywords: tuple[str, ...]
    attributes: dict[str, Any]
    price: int
    unit: str
    hours: dict[str, list[list[str]]] | None


FACILITIES: tuple[Facility, ...] = (
    Facility("NJZD", "10米法电波暗室", "10 m semi-anechoic chamber",
             "满足GB/T 9254.1-2021、CISPR 32辐射发射测试要求的10米法半电波暗室，转台承重2吨。",
             ("EMC", "电波暗室", "10m法"), {"size_m": "23×14×9", "frequency": "30 MHz–18 GHz", "turntable_t": 2},
             2500, "hour", HOURS["office"]),
    Facility("NJZD", "混响室", "Reverberation chamber",
             "用于辐射抗扰度与屏蔽效能测试的混响室，搅拌器连续/步进模式。", ("混响室", "屏蔽效能"),
             {"frequency": "200 MHz–40 GHz"}, 1800, "hour", HOURS["office"]),
    Facility("NJZD", "高性能计算集群（GPU）", "GPU high-performance computing cluster",
             "64块NVIDIA A100 GPU，InfiniBand HDR互联，提供深度学习与分子动力学计算。", ("GPU", "超算", "HPC", "A100"),
             {"gpus": 64, "gpu_model": "NVIDIA A100 80GB", "interconnect": "InfiniBand HDR"}, 15, "hour", None),
    Facility("NJZD", "百级微纳加工洁净间", "ISO 5 cleanroom for micro/nano fabrication",
             "ISO 5级洁净间，配备光刻、刻蚀与镀膜工艺线，支持MEMS器件试制。", ("洁净间", "光刻", "MEMS"),
             {"cleanliness": "ISO 5", "area_m2": 800}, 1200, "day", HOURS["day_shift"]),
    Facility("NJZD", "大型振动台试验系统", "Large electrodynamic shaker system",
             "推力100 kN的电动振动台，配水平滑台与高低温箱，可进行综合环境试验。", ("振动台", "综合环境试验"),
             {"force_kN": 100, "frequency_Hz": "5–2000"}, 1500, "hour", HOURS["office"]),
    Facility("SZXC", "整车级高低温环境舱", "Full-vehicle climatic chamber",
             "-40℃至+60℃整车环境舱，带阳光模拟，适用于新能源汽车热管理验证。", ("环境舱", "新能源汽车"),
             {"temperature": "-40–60 °C", "solar_W_m2": 1200}, 6000, "day", HOURS["day_shift"]),
    Facility("SGBL", "工业4.0示范产线", "Industrie 4.0 demonstration line",
             "柔性装配示范产线，OPC UA互联，可用于中小企业数字化改造验证。", ("工业4.0", "数字孪生", "OPC UA"),
             {"stations": 8, "protocols": ["OPC UA", "MQTT"]}, 400, "hour", HOURS["berlin"]),
    Facility("SGBL", "激光粉末床熔融中试平台", "LPBF pilot plant",
             "多台EOS金属打印机与热处理炉，提供工艺开发与小批量试制。", ("LPBF", "金属3D打印", "中试"),
             {"machines": 3, "materials": ["316L", "Ti6Al4V", "AlSi10Mg"]}, 350, "hour", HOURS["berlin_late"]),
)


@dataclass(frozen=True)
class Space:
    zh: str
    en: str
    capacity: int
    area: int
    amenities: tuple[str, ...]
    keywords: tuple[str, ...]
    price: int
    unit: str
    count: int = 1
    numbered: bool = False


SPACE_PLAN: list[tuple[str, tuple[Space, ...]]] = [
    ("WXXC", (
        Space("路演厅", "Roadshow hall", 120, 260, ("LED大屏", "音响", "同传设备"), ("路演", "发布会"), 600, "hour"),
        Space("会议室", "Meeting room", 12, 40, ("投影", "白板", "视频会议"), ("会议室",), 80, "hour", 6, True),
        Space("共享工位", "Hot desk", 1, 6, ("网络", "储物柜"), ("工位", "联合办公"), 60, "day", 12, True),
        Space("独立办公室", "Private office", 8, 45, ("网络", "家具"), ("办公室",), 300, "day", 4, True),
        Space("创客工坊", "Maker workshop", 20, 150, ("台钻", "焊台", "示波器"), ("创客", "硬件开发"), 100, "hour"),
    )),
    ("NJNC", (
        Space("学术报告厅", "Lecture hall", 200, 320, ("投影", "扩声"), ("报告厅",), 800, "hour"),
        Space("研讨室", "Seminar room", 16, 50, ("投影", "白板"), ("研讨室",), 0, "hour", 3, True),
    )),
    ("NTTH", (
        Space("孵化实验室单元", "Incubator wet-lab unit", 6, 80, ("通风橱", "纯水", "生物安全柜"), ("湿实验室", "孵化器"),
              500, "day", 6, True),
    )),
    ("SGBL", (
        Space("中德创新工作室", "Sino-German innovation studio", 30, 90, ("Beamer", "Whiteboard"), ("Workshop", "创新"),
              90, "hour"),
        Space("访客工位", "Guest desk", 1, 6, ("WLAN",), ("Coworking", "工位"), 25, "day", 4, True),
    )),
]

INVENTORS = ("王建国", "李晓燕", "张伟", "陈静", "刘洋", "杨帆", "赵磊", "周敏", "吴俊杰", "徐丽华",
             "孙浩", "胡婷", "朱晨", "郭志强", "Anna Müller", "Jonas Becker")
