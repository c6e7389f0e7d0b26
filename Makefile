# PGXS build of the ews extension.
EXTENSION = ews ews_router
MODULE_big = ews
OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c)))
DATA = $(sort $(wildcard sql/ews--*.sql)) $(sort $(wildcard sql/ews_router--*.sql))
# order is deliberate: each file builds on the ones before it
REGRESS = \
	ews_setup \
	ews_mailbox \
	ews_ids \
	ews_folder \
	ews_move \
	ews_item \
	ews_soap \
	ews_soap_result \
	ews_finditem
# the tests speak UTF-8, whatever the locale of the cluster they run in
# (a package build's throwaway cluster may be SQL_ASCII)
REGRESS_OPTS = --encoding=UTF8 --no-locale

PG_CONFIG ?= pg_config
XML2_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || xml2-config --cflags)
XML2_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null || xml2-config --libs)
PG_CPPFLAGS = -Isrc $(XML2_CFLAGS)
# warnings are errors in CI only (test/run.sh builds with COPT=-Werror): a
# packager's newer compiler must not fail the build over a new warning
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
SHLIB_LINK += $(XML2_LIBS)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS does not track header dependencies: rebuild everything when a header changes
$(OBJS): $(wildcard src/*.h)
