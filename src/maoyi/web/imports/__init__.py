"""导入: one page per kind of data brought in from Excel (customers, products, opening stock…)."""
