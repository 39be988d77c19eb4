from runtime.service import serve
from services.auth.bootstrap import definition

serve(definition())
