"""Helpers shared by the tests and the benchmarks (never by the product): the project
checkout and smoke runs in copies of it (``project``), real servers on 127.0.0.1
(``servers``), image files (``images``) and a headless browser (``browser``)."""
