# deduce (names in Dutch free text, bot/identify) builds its lookup structures
# once per machine: minutes the first time, stored in ~/.cache/voorkomen/deduce
# (XDG_CACHE_HOME), seconds to load afterwards. Build them before the tests so
# no test pays (or times out on) the first build.

IDENTIFY_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/voorkomen/deduce/cache/lookup_structs.pickle

TEST_PREREQS += $(IDENTIFY_CACHE)

$(IDENTIFY_CACHE): $(STAMP)
	$(BIN)/python -m bot.identify
