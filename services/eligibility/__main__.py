from runtime.service import serve
from services.eligibility.bootstrap import definition

serve(definition())
