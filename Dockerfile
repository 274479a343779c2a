# jimeng-mock as a service:
#   docker build -t jimeng-mock .
#   docker run -p 8000:8000 -e JIMENG_MOCK_ADMIN_TOKEN=change-me jimeng-mock
# Every setting is a JIMENG_MOCK_<FLAG> variable (-e JIMENG_MOCK_CLOCK=virtual) or a flag after the image name
# (docker run ... jimeng-mock serve --host 0.0.0.0 --seed 7). tests/packaging/test_wheel.py runs the commands
# below (the build, the install, the start command and the health check) outside a container.
ARG PYTHON_VERSION=3.11

# Stage 1: the wheel, built from the sources as `python -m build` builds it (sdist first, the wheel from it).
FROM python:${PYTHON_VERSION}-slim AS build
RUN pip install --no-cache-dir build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY mockserver ./mockserver
RUN python -m build --outdir /dist

# Stage 2: only the installed wheel and its dependencies, run by an unprivileged user.
FROM python:${PYTHON_VERSION}-slim
COPY --from=build /dist/*.whl /tmp/wheels/
RUN pip install --no-cache-dir /tmp/wheels/*.whl && rm -r /tmp/wheels \
    && useradd --create-home --uid 10001 mock
USER mock
WORKDIR /home/mock
EXPOSE 8000
# Off loopback the admin API (/__admin: clock, reset, scenarios) takes a bearer token: pass it at run time,
# JIMENG_MOCK_ADMIN_TOKEN=... (the image holds none). The check asks the index, which needs no token, and
# counts any HTTP answer as healthy.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import http.client as h; c = h.HTTPConnection('127.0.0.1', 8000, timeout=2); c.request('GET', '/'); c.getresponse()"]
ENTRYPOINT ["jimeng-mock"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
