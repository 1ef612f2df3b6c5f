from safepassage.bootstrap import bootstrap
from safepassage.config import Settings


def test_pool_settings_reach_the_postgresql_engine():
    container = bootstrap(
        Settings(database_url="postgresql+psycopg://u@127.0.0.1:1/x", db_pool_size=3, db_max_overflow=2)
    )
    assert container.engine.pool.size() == 3  # type: ignore[attr-defined]
    assert container.engine.pool._max_overflow == 2  # type: ignore[attr-defined]
    container.dispose()


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SAFEPASSAGE_DEFAULT_PHONE_REGION", "LB")
    monkeypatch.setenv("SAFEPASSAGE_PAGE_SIZE", "20")
    settings = Settings()
    assert settings.default_phone_region == "LB" and settings.page_size == 20
    assert bootstrap(settings).uow().page_size == 20
