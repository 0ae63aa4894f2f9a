"""Tests of odm.domain: pure Python, no database."""
