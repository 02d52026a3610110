"""Hand-written fixture documents for the search tests (feed format plus "id")."""

from __future__ import annotations


def doc(id, title, kind="instrument", platform="NJNC", city="南京", category="仪器设备/电子显微镜",
        title_en=None, description="", keywords=(), price=None, updated_at="2024-01-01T08:00:00+08:00",
        attributes=None, **extra):
    d = {
        "id": id,
        "platform": platform,
        "external_id": f"{platform}-{id:04d}",
        "kind": kind,
        "title": title,
        "title_en": title_en,
        "description": description,
        "category": category,
        "keywords": list(keywords),
        "city": city,
        "location": None,
        "attributes": attributes or {},
        "price": price,
        "bookable": kind in ("instrument", "facility", "space"),
        "orderable": kind in ("testing_service", "germplasm", "lab_animal"),
        "opening_hours": None,
        "contact_email": "lab@example.edu",
        "updated_at": updated_at,
    }
    d.update(extra)
    return d


def hour(amount):
    return {"amount": float(amount), "currency": "CNY", "unit": "hour"}


def sample(amount):
    return {"amount": float(amount), "currency": "CNY", "unit": "sample"}


FIXTURE = [
    doc(1, "场发射扫描电子显微镜", title_en="Field Emission Scanning Electron Microscope",
        description="本平台场发射扫描电子显微镜一台，型号JEOL JSM-7800F，可观察样品表面形貌。",
        attributes={"manufacturer": "JEOL", "model": "JSM-7800F"}, price=hour(600),
        updated_at="2024-05-01T09:00:00+08:00"),
    doc(2, "Tabletop SEM", title_en=None, platform="SZDH", city="苏州",
        category="Electron Microscopy", description="A tabletop scanning electron microscope "
        "for quick imaging of surfaces.", price=hour(200),
        updated_at="2023-03-01T09:00:00+08:00"),
    doc(3, "透射电镜", title_en="Transmission Electron Microscope", platform="SZDH", city="苏州",
        description="200 kV 透射电镜，可做高分辨成像与电子衍射。", price=hour(900),
        updated_at="2022-07-01T09:00:00+08:00"),
    doc(4, "X射线衍射仪", title_en="X-ray Diffractometer", platform="WXTH", city="无锡",
        category="仪器设备 > X射线分析", description="粉末XRD，物相分析与晶体结构。",
        price=hour(300), updated_at="2024-02-01T09:00:00+08:00"),
    doc(5, "中性盐雾试验", kind="testing_service", platform="WXTH", city="无锡",
        category="环境与可靠性试验", description="依据GB/T 10125-2021开展中性盐雾试验，出具检测报告。",
        keywords=["盐雾", "GB/T 10125-2021"], price=sample(800),
        updated_at="2024-06-01T09:00:00+08:00"),
    doc(6, "Salt spray test", kind="testing_service", platform="NJNC", city="南京",
        category="Reliability testing", title_en=None,
        description="Neutral salt spray test per ASTM B117 for coatings.",
        price=sample(1200), updated_at="2023-01-01T09:00:00+08:00"),
    doc(7, "金属材料 拉伸试验 第1部分：室温试验方法", kind="document", platform="NJNC", city="南京",
        category="标准文献", description="GB/T 228.1-2021 规定了金属材料拉伸试验方法。",
        attributes={"standard_no": "GB/T 228.1-2021", "doc_type": "国家标准"},
        updated_at="2021-12-01T09:00:00+08:00"),
    doc(8, "一种石墨烯的制备方法", kind="patent", platform="CZLC", city="常州",
        category="新材料", description="本发明公开了一种石墨烯的制备方法。",
        attributes={"application_no": "CN202310123456.7", "patent_type": "发明"},
        price={"amount": 50000.0, "currency": "CNY", "unit": "item"},
        updated_at="2023-08-01T09:00:00+08:00"),
    doc(9, "核磁共振波谱仪", title_en="NMR Spectrometer", platform="CZLC", city="常州",
        category="仪器设备/波谱", description="400 MHz 液体核磁，氢谱碳谱测试。", price=hour(500),
        updated_at="2024-03-01T09:00:00+08:00"),
    doc(10, "<script>alert(1)</script> 扫描电镜 & 能谱", platform="NJNC", city="南京",
        description="<b>注意</b> 扫描电镜 <script>alert('x')</script> 与能谱 & 更多",
        price=None, updated_at="2020-01-01T09:00:00+08:00"),
]
