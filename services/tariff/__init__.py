"""Tariff: NGAP and CCAM nomenclature, base tariff, fee modulation, reimbursement."""
