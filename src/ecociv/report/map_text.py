"""The fixed words on maps in English and Chinese, and the Chinese names of the raster outputs
(written by hand for the report; an output without one keeps its English name)."""

from __future__ import annotations

LANGUAGES = ("en", "zh")

#: words of the legend, colour bar, source line and heading, per language
WORDS: dict[str, dict[str, str]] = {
    "en": {"outside": "outside the Belt", "legend": "class (code)", "class": "class {code}",
           "more": "… {n} more classes", "value": "value", "change": "change",
           "dimensionless": "dimensionless", "source": "Source: {text}",
           "year": "year {year}", "run_of": "run of {date}", "sep": ", ", "title": "{model}: {output}",
           "source_run": "ecociv {version}, model {model}, run step {step}"},
    "zh": {"outside": "经济带以外", "legend": "类别（代码）", "class": "类别 {code}",
           "more": "… 另有 {n} 类", "value": "数值", "change": "变化",
           "dimensionless": "无量纲", "source": "来源：{text}",
           "year": "{year} 年", "run_of": "{date} 运行", "sep": "，", "title": "{model}：{output}",
           "source_run": "ecociv {version}，模型 {model}，运行步骤 {step}"},
}

MONTHS = {"en": ("January", "February", "March", "April", "May", "June", "July", "August",
                 "September", "October", "November", "December"),
          "zh": tuple(f"{m} 月" for m in range(1, 13))}

#: source line of the Belt's reference layers
LAYER_SOURCE = {
    "en": "boundaries: Belt dataset units.gpkg (2021+ divisions); cities: GeoNames; lakes: GSHHG "
          "with lake_names.csv",
    "zh": "行政边界：经济带数据集 units.gpkg（2021 年后区划）；城市：GeoNames；湖泊：GSHHG 与 lake_names.csv",
}

#: Chinese names of raster outputs, by "<model id>.<output id>"
OUTPUT_ZH = {
    "carbon.carbon_density": "碳密度（四个碳库），基准",
    "carbon.soil_carbon_density": "土壤有机碳密度，基准",
    "carbon.carbon_density_scenario": "碳密度（四个碳库），情景",
    "carbon.carbon_change": "碳密度变化（情景 − 基准）",
    "double_evaluation.agricultural_suitability": "农业生产适宜性（0–4）",
    "double_evaluation.urban_suitability": "城镇建设适宜性（0–4）",
    "double_evaluation.agricultural_level": "农业生产条件等级（1–5）",
    "double_evaluation.urban_level": "城镇建设条件等级（1–5）",
    "eco_compensation.esv": "生态系统服务价值，基准",
    "eco_compensation.esv_scenario": "生态系统服务价值，情景",
    "eco_compensation.esv_change": "生态系统服务价值变化（情景 − 基准）",
    "ecological_redline.importance_class": "生态功能重要性（1–3）",
    "ecological_redline.importance_water_conservation": "水源涵养重要性（1–3）",
    "ecological_redline.importance_soil_conservation": "水土保持重要性（1–3）",
    "ecological_redline.importance_sand_fixation": "防风固沙重要性（1–3）",
    "ecological_redline.importance_habitat_quality": "生物多样性维护重要性（1–3）",
    "ecological_redline.redline_candidate": "生态保护红线候选区（0/1）",
    "ecological_redline.redline": "生态保护红线（0/1）",
    "ecological_redline.conflict": "红线冲突（1 耕地，2 建设用地）",
    "ecological_security_pattern.resistance": "景观阻力",
    "ecological_security_pattern.cost_distance": "至最近生态源地的累积成本距离",
    "ecological_security_pattern.cost_allocation": "最近生态源地（成本分配）",
    "ecological_security_pattern.current_density": "电流密度",
    "ecological_security_pattern.pinch_points": "生态夹点",
    "ecological_sensitivity.erosion_sensitivity": "水土流失敏感性指数",
    "ecological_sensitivity.desertification_sensitivity": "土地沙化敏感性指数",
    "ecological_sensitivity.salinization_sensitivity": "土壤盐渍化敏感性指数",
    "ecological_sensitivity.erosion_sensitivity_class": "水土流失敏感性等级",
    "ecological_sensitivity.desertification_sensitivity_class": "土地沙化敏感性等级",
    "ecological_sensitivity.salinization_sensitivity_class": "土壤盐渍化敏感性等级",
    "ecological_sensitivity.sensitivity_class": "生态敏感性等级（取最高）",
    "et0.et0": "参考作物蒸散量 ET0（FAO-56）",
    "et0.et0_method": "ET0 计算方法（1 彭曼-蒙特斯，2 哈格里夫斯-萨马尼）",
    "habitat_quality.degradation": "生境退化度",
    "habitat_quality.quality": "生境质量",
    "habitat_quality.degradation_by_threat": "各威胁因子的生境退化度",
    "land_use_change.land_use_final": "模拟土地利用（末年）",
    "land_use_change.suitability": "各地类适宜性概率",
    "sand_fixation.soil_loss_potential": "潜在风蚀量（RWEQ，裸土）",
    "sand_fixation.soil_loss_actual": "实际风蚀量（RWEQ）",
    "sand_fixation.sand_fixation": "防风固沙量（RWEQ 潜在 − 实际）",
    "sand_fixation.soil_loss_potential_monthly": "逐月潜在风蚀量",
    "sand_fixation.soil_loss_actual_monthly": "逐月实际风蚀量",
    "sand_fixation.sand_fixation_monthly": "逐月防风固沙量",
    "sand_fixation.saturated_months": "输沙达到饱和的月数",
    "soil_conservation.rainfall_erosivity": "降雨侵蚀力 R",
    "soil_conservation.soil_erodibility": "土壤可蚀性 K",
    "soil_conservation.ls_factor": "坡长坡度因子 LS",
    "soil_conservation.soil_loss_potential": "潜在土壤侵蚀量",
    "soil_conservation.soil_loss_actual": "实际土壤侵蚀量",
    "soil_conservation.soil_conservation": "土壤保持量",
    "spatial_planning.urban_boundary": "城镇开发边界（0/1）",
    "spatial_planning.urban_boundary_candidate": "冲突处理前的城镇开发边界（0/1）",
    "spatial_planning.three_zones": "三区（1–3）",
    "spatial_planning.control_lines": "三条控制线（0–3）",
    "spatial_planning.plan_conflict": "多规冲突（按位编码）",
    "water_conservation.water_conservation": "水源涵养量",
    "water_conservation.surface_runoff": "地表径流量",
    "water_conservation.yield_correction": "产水量修正系数",
    "water_yield.water_yield": "年产水量",
    "water_yield.aet": "实际蒸散量",
    "water_yield.aet_fraction": "实际蒸散量 / 降水量",
}


def output_name(model_id: str, output_id: str, english: str, lang: str) -> str:
    """The name of a raster output in ``lang`` (the simulated land use of a year is composed)."""
    if lang != "zh":
        return english
    key = f"{model_id}.{output_id}"
    if key in OUTPUT_ZH:
        return OUTPUT_ZH[key]
    if output_id.startswith("land_use_") and output_id[9:].isdigit():  # a simulated map of a year
        return f"模拟土地利用（{output_id[9:]} 年）"
    return english


def chinese_part(name: str) -> str:
    """The Chinese words of a bilingual class name ("level 1 (worst) 低" → "低"); the name itself
    when it has none."""
    start = next((i for i, ch in enumerate(name) if ord(ch) >= 0x2E80), None)
    return name[start:].strip() if start is not None else name


def han_name(names: str) -> str | None:
    """The first name made of Chinese characters only from GeoNames' ``;``-separated alternate
    names ("ウルムチ市;乌鲁木齐;…" → "乌鲁木齐"), or None."""
    for name in str(names or "").split(";"):
        name = name.strip()
        if name and all("\u4e00" <= ch <= "\u9fff" for ch in name):
            return name
    return None
