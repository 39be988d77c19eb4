from runtime.service import serve
from services.claims.bootstrap import definition

serve(definition())
