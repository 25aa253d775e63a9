"""定点医药机构查询: designated hospitals and pharmacies."""
