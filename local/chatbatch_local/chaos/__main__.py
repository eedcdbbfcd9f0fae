import sys

from chatbatch_local.chaos.runner import main

sys.exit(main())
