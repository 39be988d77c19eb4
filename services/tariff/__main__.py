from runtime.service import serve
from services.tariff.bootstrap import definition

serve(definition())
