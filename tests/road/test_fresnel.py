"""Fresnel integrals against scipy (when installed) and against quadrature and identities."""

from __future__ import annotations

import numpy as np
import pytest

from simhub.road import fresnel_array


def test_fresnel_matches_scipy_to_1e_13() -> None:
    special = pytest.importorskip("scipy.special", reason="scipy is the test-only oracle")
    x = np.concatenate([np.linspace(-50.0, 50.0, 40001), np.geomspace(1e-9, 50.0, 2000)])
    c, s = fresnel_array(x)
    s_ref, c_ref = special.fresnel(x)
    assert np.max(np.abs(c - c_ref)) < 1e-13
    assert np.max(np.abs(s - s_ref)) < 1e-13


def test_fresnel_matches_gauss_legendre_quadrature() -> None:
    nodes, weights = np.polynomial.legendre.leggauss(200)
    for x in (0.3, 1.2, 1.5, 1.7, 3.0, 6.0):
        t = 0.5 * x * (nodes + 1.0)
        c_ref = 0.5 * x * np.sum(weights * np.cos(0.5 * np.pi * t * t))
        s_ref = 0.5 * x * np.sum(weights * np.sin(0.5 * np.pi * t * t))
        c, s = fresnel_array(np.array([x]))
        assert c[0] == pytest.approx(c_ref, abs=1e-13)
        assert s[0] == pytest.approx(s_ref, abs=1e-13)


def test_fresnel_is_odd_and_tends_to_one_half() -> None:
    x = np.linspace(0.0, 20.0, 1001)
    c, s = fresnel_array(x)
    c_neg, s_neg = fresnel_array(-x)
    np.testing.assert_array_equal(c_neg, -c)
    np.testing.assert_array_equal(s_neg, -s)
    c_far, s_far = fresnel_array(np.array([1e6]))
    assert c_far[0] == pytest.approx(0.5, abs=1e-6)
    assert s_far[0] == pytest.approx(0.5, abs=1e-6)
